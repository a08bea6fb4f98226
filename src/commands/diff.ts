import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'diff',
  summary: 'Show what mlp deploy would change on the cluster',
  description:
    'Renders the manifests and sends each as a server-side apply dry run (field manager mlp), then prints a unified diff between the live object and what the API server would store. Nothing is changed. Objects that would be pruned are not listed.',
  examples: ['mlp diff --profile eks', 'mlp diff --service fraud --json'],
  options: {
    service: option('--service <name...>', 'only these services (the project objects are always compared)'),
  },
  handler: () => import('./handlers/diff.js'),
});
