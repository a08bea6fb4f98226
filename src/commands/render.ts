import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'render',
  summary: 'Render the Kubernetes manifests from templates/k8s to stdout (or --out DIR)',
  examples: ['mlp render | kubectl apply -f -', 'mlp render --out manifests/'],
  configure(command) {
    command.option('--out <dir>', 'write one file per object into <dir> instead of stdout');
  },
  run: notBuiltYet('mlp render', 'issue #5 (render and Kubernetes deploy)'),
});
