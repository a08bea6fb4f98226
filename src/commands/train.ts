import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'train',
  summary: 'Run the training command and register its outputs as a new model version',
  description:
    "Runs training.command from mlp.yaml — here, or as a Kubernetes Job on the cluster when training.remote.enabled (or --remote) — validates that the model loads and matches its metadata, then stores it under <name>/<timestamp version>/ with a latest pointer. On the cluster the training image is built and pushed first, the Job's log is streamed, and the model comes back through training.remote.artifacts (S3).",
  examples: ['mlp train -C examples/fraud', 'mlp train --remote', 'mlp train --list'],
  options: {
    list: option('--list', 'list the registered model versions with their metrics'),
    remote: option('--remote', 'run training as a Kubernetes Job on the cluster (sets training.remote.enabled)'),
    local: option('--local', 'run training here even when training.remote.enabled'),
  },
  handler: () => import('./handlers/train.js'),
});
