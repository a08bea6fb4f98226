import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'status [service]',
  summary: 'Show each service: image, replicas ready, rollout state and endpoint',
  description:
    "Per service (all without an argument): the image and its digest, the model version, desired/updated/ready/available replicas, the rollout state (complete, progressing, stalled or failed with the reason), the autoscaler, the last deploy's revision and time and the endpoint; then cluster.nodegroup's status, size and Ready nodes. On the local target, each service's container. Exits 0 when all is healthy, 41 when a service is degraded, 42 when the nodegroup is at zero nodes.",
  examples: ['mlp status', 'mlp status fraud --json', 'mlp status --watch'],
  options: {
    target: option('--target <target>', 'where the services run (default: deploy.target)', { choices: ['local', 'eks'] }),
    namespace: option('--namespace <name>', 'Kubernetes namespace (default: cluster.namespace)'),
    watch: option('--watch', 'print the status again every 2 s until Ctrl-C'),
  },
  handler: () => import('./handlers/status.js'),
});
