import { defineCommand } from '../lib/command.js';

export default defineCommand({
  usage: 'test [service]',
  summary: "Smoke-test the deployed services with the payloads in mlp.yaml's smoke section",
  description:
    "Sends each service's smoke requests (GET /ready when it has none) and checks their status: on the local target to its container on 127.0.0.1, on the eks target to a ready pod of the current revision through a port-forward, or to --url. Changes nothing: unlike mlp deploy's test stage, a failure rolls nothing back (exit 40).",
  examples: ['mlp test', 'mlp test fraud --url http://127.0.0.1:8080'],
  configure(command) {
    command.option('--url <url>', 'test this base URL instead of the deployed service');
  },
  async run(context, options, args) {
    const { smokeTestServices } = await import('../lib/verify/test-services.js');
    const passed = await smokeTestServices(context, { service: args[0] as string | undefined, url: options.url as string | undefined });
    context.output.result({ passed }, () => passed.map((entry) => `${entry.service}: ${entry.line}`).join('\n'));
  },
});
