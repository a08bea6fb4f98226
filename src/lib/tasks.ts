/**
 * Progress for multi-step commands through listr2: animated tasks on an interactive terminal, plain lines in CI
 * or when piped, nothing with --json. All of it on stderr, so stdout stays the command's result.
 */
import type { Output } from './output.js';

export interface TaskSpec {
  title: string;
  /** A reason to skip the task, or false to run it. */
  skip?: string | false;
  run(signal: AbortSignal): Promise<void>;
}

export async function runTasks(output: Output, tasks: readonly TaskSpec[], signal: AbortSignal): Promise<void> {
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const stderr = output.io.stderr as NodeJS.WriteStream;
  const renderer = output.json ? 'silent' : output.interactive ? 'default' : 'simple';
  const list = new Listr(
    tasks.map((spec) => ({
      title: spec.title,
      skip: () => spec.skip ?? false,
      task: () => spec.run(signal),
    })),
    {
      renderer,
      exitOnError: true,
      // mlp owns SIGINT (it aborts `signal`); listr2's own handler would exit the process under our feet.
      registerSignalListeners: false,
      collectErrors: false,
      rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(stderr, stderr) }) },
    },
  );
  await list.run();
}
