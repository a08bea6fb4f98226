import type { CommandHandler } from '../../lib/command.js';

interface TestOptions {
  url?: string;
}

const test: CommandHandler<TestOptions, [service: string | undefined]> = async (context, options, [service]) => {
  const { smokeTestServices } = await import('../../lib/verify/test-services.js');
  const passed = await smokeTestServices(context, { service, url: options.url });
  context.output.result({ passed }, () =>
    passed.map((entry) => `${entry.service}: ${entry.line}${entry.pod ? ` (pod ${entry.pod})` : ''}`).join('\n'),
  );
};
export default test;
