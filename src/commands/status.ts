import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'status',
  summary: 'Show each service: image, replicas ready, rollout state and endpoint',
  examples: ['mlp status', 'mlp status --json'],
  run: notBuiltYet('mlp status', 'a later issue'),
});
