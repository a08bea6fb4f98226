import { argument, defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'scale',
  summary: 'Scale the EKS nodegroup up (min 2, desired 2) or down to zero (cluster.scaling in mlp.yaml)',
  examples: ['mlp scale up', 'mlp scale down --yes'],
  arguments: [argument('<direction>', 'up or down', { choices: ['up', 'down'] })],
  options: {
    nodegroup: option('--nodegroup <name>', 'the nodegroup to scale (default: cluster.nodegroup)'),
    wait: option('--wait', 'wait until the nodegroup is ACTIVE at its new size'),
  },
  // No handler yet: exits with the notImplemented code.
});
