import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'push',
  summary: 'Push built images to ECR (creating repositories) or any registry, and record their digests',
  examples: ['mlp push', 'mlp push --service fraud'],
  configure(command) {
    command.option('--service <name...>', 'push only these services');
  },
  run: notBuiltYet('mlp push', 'issue #4 (build and push)'),
});
