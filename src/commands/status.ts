import { defineCommand } from '../lib/command.js';

export default defineCommand({
  usage: 'status',
  summary: 'Show each service: image, replicas ready, rollout state and endpoint',
  examples: ['mlp status', 'mlp status --json'],
  // No handler yet: exits with the notImplemented code.
});
