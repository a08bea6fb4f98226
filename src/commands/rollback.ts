import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'rollback [service]',
  summary: 'Restore the previous (or a given) revision of a service on the cluster',
  description:
    "Puts the previous ReplicaSet's pod template back on each service's Deployment (all services without an argument) and waits until it is available, as `kubectl rollout undo` would. The next mlp deploy takes the Deployment back.",
  examples: ['mlp rollback fraud', 'mlp rollback fraud --to-revision 3'],
  options: {
    toRevision: option('--to-revision <n>', 'the Deployment revision to restore'),
    wait: option('--wait', 'wait for another deploy, rollback or scale of this project to finish instead of exiting 7'),
  },
  handler: () => import('./handlers/rollback.js'),
});
