import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'test [service]',
  summary: "Smoke-test the deployed services with the payloads in mlp.yaml's smoke section",
  examples: ['mlp test', 'mlp test fraud --url http://127.0.0.1:8080'],
  configure(command) {
    command.option('--url <url>', 'test this base URL instead of the deployed service');
  },
  run: notBuiltYet('mlp test', 'issue #5 (render and Kubernetes deploy)'),
});
