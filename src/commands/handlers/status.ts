import type { CommandHandler } from '../../lib/command.js';

interface StatusOptions {
  target?: 'local' | 'eks';
  namespace?: string;
  watch?: true;
}

const status: CommandHandler<StatusOptions, [service: string | undefined]> = async (context, options, [service]) => {
  const [{ collectStatus }, { formatStatus }, { statusFailure }] = await Promise.all([
    import('../../lib/status/collect-status.js'),
    import('../../lib/status/format-status.js'),
    import('../../lib/status/service-status.js'),
  ]);
  // Loaded here once with the flags; the library's own loadConfig() calls get this same frozen config.
  await context.loadConfig({
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
  });
  const names = service === undefined ? [] : [service];
  const { color } = context.output;
  const colours = { green: color.green, red: color.red, yellow: color.yellow };
  if (options.watch) {
    const { watchStatus } = await import('../../lib/status/watch-status.js');
    const last = await watchStatus(context, names, colours);
    // Ctrl-C ends the watch; the exit code is the last refresh's verdict.
    const failure = statusFailure(last);
    if (failure) throw failure;
    return;
  }
  const report = await collectStatus(context, names);
  const actions = context.output.actions?.core;
  if (actions) (await import('../../lib/github-actions/report.js')).reportStatus(actions, report);
  // The whole table first, then the verdict: a degraded service is reported with everything else around it.
  context.output.resultOrFailure({ ...report }, () => formatStatus(report, colours), statusFailure(report));
};
export default status;
