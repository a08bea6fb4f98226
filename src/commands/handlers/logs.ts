import type { CommandHandler } from '../../lib/command.js';
import { UsageError } from '../../lib/errors.js';

interface LogsOptions {
  follow?: boolean;
  tail: string;
  since?: string;
  training?: boolean;
}

const logs: CommandHandler<LogsOptions, [service: string | undefined]> = async (context, options, [service]) => {
  const tail = Number(options.tail);
  if (!/^\d+$/.test(options.tail.trim()) || !Number.isSafeInteger(tail))
    throw new UsageError(`--tail ${options.tail}: the number of lines is a whole number (0 or more).`);
  if (options.training && service !== undefined)
    throw new UsageError(`--training shows the training Job's log, not a service's: drop ${service} or --training.`);
  const [{ parseSince }, { printLogs }] = await Promise.all([import('../../lib/logs/since.js'), import('../../lib/logs/logs.js')]);
  const sinceSeconds = options.since === undefined ? undefined : parseSince(options.since);
  if (options.since !== undefined && sinceSeconds === undefined)
    throw new UsageError(`--since ${options.since}: a duration is written like 90s, 10m or 1h30m.`);
  await printLogs(context, {
    services: service === undefined ? [] : [service],
    follow: options.follow === true,
    tail,
    ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
    training: options.training === true,
  });
};
export default logs;
