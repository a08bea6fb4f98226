import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'train',
  summary: 'Run the training command and register its outputs as a new model version',
  description:
    'Runs training.command from mlp.yaml (locally, or as a Kubernetes Job with --remote), validates that the model loads and matches its metadata, then stores it under <name>/<timestamp version>/ with a latest pointer.',
  examples: ['mlp train -C examples/fraud', 'mlp train --list'],
  configure(command) {
    command
      .option('--list', 'list the registered model versions with their metrics')
      .option('--remote', 'run training as a Kubernetes Job on the cluster instead of locally');
  },
  run: notBuiltYet('mlp train', 'issue #3 (serving, the fraud example and local training)'),
});
