/**
 * Progress for multi-step commands through listr2: animated tasks on an interactive terminal, plain lines in CI
 * or when piped, collapsible groups on GitHub Actions (github-actions/groups.ts), nothing with --json. All of it on
 * stderr, so stdout stays the command's result.
 */
import type { Output } from './output.js';

export interface TaskSpec {
  title: string;
  /** A reason to skip the task, or false to run it. */
  skip?: string | false;
  run(signal: AbortSignal): Promise<void>;
}

export async function runTasks(
  output: Output,
  tasks: readonly TaskSpec[],
  signal: AbortSignal,
  options: { concurrent?: number } = {},
): Promise<void> {
  // With --json nothing is drawn, so listr2 (about 5 % of a no-op `mlp build --json`) is not even loaded.
  if (output.json) return runSilently(tasks, signal, options.concurrent ?? 1);
  // In a GitHub Actions run each task is a collapsible group of the log with its duration; listr2 never draws there.
  if (output.actions) {
    const { runGrouped } = await import('./github-actions/groups.js');
    return runGrouped(output.actions.core, (line) => output.info(line), tasks, signal, options.concurrent ?? 1);
  }
  const { DefaultRenderer, Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const stderr = output.io.stderr as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(stderr, stderr) });

  /**
   * listr2 animates only when *stdout* is a terminal and otherwise falls back to a renderer that writes to
   * stdout. mlp draws progress on stderr and has already decided (Output.interactive: stderr is a terminal and
   * this is not CI), so it tells listr2 the animated renderer is fine without a TTY on stdout.
   */
  class StderrRenderer extends DefaultRenderer {
    static override nonTTY = true;
  }

  const list = new Listr(
    tasks.map((spec) => ({
      title: spec.title,
      skip: () => spec.skip ?? false,
      task: () => spec.run(signal),
    })),
    {
      renderer: output.json ? 'silent' : output.interactive ? StderrRenderer : 'simple',
      // collapseSkips: false keeps the stage's name beside the reason it was skipped.
      rendererOptions: { logger, collapseSkips: false },
      fallbackRenderer: 'simple',
      fallbackRendererOptions: { logger },
      // A number runs that many tasks at once (images build concurrently); the default is one after another.
      concurrent: options.concurrent ?? false,
      exitOnError: true,
      // mlp owns SIGINT (it aborts `signal`); listr2's own handler would exit the process under our feet.
      registerSignalListeners: false,
      collectErrors: false,
    },
  );
  await list.run();
}

/** The tasks, `limit` at a time; the first failure rejects once the running ones have settled. */
async function runSilently(tasks: readonly TaskSpec[], signal: AbortSignal, limit: number): Promise<void> {
  const queue = tasks.filter((task) => !task.skip);
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let task = queue.shift(); task !== undefined && failure === undefined; task = queue.shift()) {
      await task.run(signal).catch((error: unknown) => {
        failure ??= { error };
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}
