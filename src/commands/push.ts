import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'push',
  summary: 'Push built images to ECR (creating repositories) or any registry, and record their digests',
  description:
    'For ECR: creates missing repositories with scan on push and a lifecycle policy, fetches a registry token for this run and logs in with it on stdin (never in argv or logs). Skips images the registry already has, retries transient failures, and records image@sha256 digests for deploy.',
  examples: ['mlp push', 'mlp push --service fraud', 'mlp push --json'],
  options: {
    service: option('--service <name...>', 'push only these services'),
  },
  handler: () => import('./handlers/push.js'),
});
