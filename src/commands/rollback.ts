import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'rollback [service]',
  summary: 'Restore the previous (or a given) revision of a service',
  examples: ['mlp rollback fraud', 'mlp rollback fraud --to-revision 3'],
  configure(command) {
    command.option('--to-revision <n>', 'the Deployment revision to restore');
  },
  run: notBuiltYet('mlp rollback', 'issue #5 (render and Kubernetes deploy)'),
});
