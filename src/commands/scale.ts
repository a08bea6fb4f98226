import { argument, defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'scale',
  summary: 'Scale the EKS nodegroup up (min 2, desired 2) or down to zero (cluster.scaling in mlp.yaml)',
  description:
    "Down prints the plan (the nodes that go and every workload that loses pods), asks to confirm (--yes without a terminal), cordons those nodes and evicts their pods through the Eviction API, so PodDisruptionBudgets hold, before EKS shrinks the nodegroup; then waits until the nodes are gone. A budget that keeps refusing leaves the nodes cordoned (exit 72); a re-run continues. Up sets cluster.scaling.up and waits for the nodes to be Ready and the project's services to be available.",
  examples: [
    'mlp scale down --dry-run',
    'mlp scale down --yes',
    'mlp scale up',
    'mlp scale down --nodegroup gpu --drain-timeout 300 --yes',
  ],
  arguments: [argument('<direction>', 'up or down', { choices: ['up', 'down'] })],
  options: {
    nodegroup: option('--nodegroup <name>', 'the nodegroup to scale (default: cluster.nodegroup)'),
    dryRun: option('--dry-run', 'print the plan and change nothing'),
    drainTimeout: option('--drain-timeout <seconds>', 'how long a PodDisruptionBudget may keep refusing evictions', { default: '60' }),
    timeout: option('--timeout <seconds>', 'how long to wait for EKS, for the nodes and (up) for the services', { default: '900' }),
    wait: option('--wait', 'wait for another deploy, rollback or scale of this project that holds its lock'),
  },
  handler: () => import('./handlers/scale.js'),
});
