import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'test [service]',
  summary: "Smoke-test the deployed services with the payloads in mlp.yaml's smoke section",
  description:
    "Sends each service's smoke requests (GET /ready when it has none) and checks their status: on the local target to its container on 127.0.0.1, on the eks target to a ready pod of the current revision through a port-forward, or to --url. Changes nothing: unlike mlp deploy's test stage, a failure rolls nothing back (exit 40).",
  examples: ['mlp test', 'mlp test fraud --url http://127.0.0.1:8080'],
  options: {
    url: option('--url <url>', 'test this base URL instead of the deployed service'),
  },
  handler: () => import('./handlers/test.js'),
});
