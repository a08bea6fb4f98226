import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'init',
  summary: 'Create an mlp.yaml for this project (refuses to overwrite one)',
  examples: ['mlp init', 'mlp init -C services/fraud --name fraud'],
  options: {
    name: option('--name <name>', 'project and service name (default: the directory name)'),
    force: option('--force', 'overwrite an existing mlp.yaml'),
  },
  handler: () => import('./handlers/init.js'),
});
