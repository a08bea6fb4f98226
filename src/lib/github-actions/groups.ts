/**
 * Progress inside a GitHub Actions run: each task (a pipeline stage, or an image when `mlp build` runs alone) is a
 * collapsible group of the log, followed by one line with its duration that stays visible when the group is
 * collapsed. GitHub does not nest groups, so tasks started inside a group, and tasks that run at the same time,
 * print plain lines instead. listr2 is not involved.
 */
import type { GithubActions } from './core.js';

export interface GroupedTask {
  title: string;
  skip?: string | false;
  run(signal: AbortSignal): Promise<void>;
}

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

export async function runGrouped(
  actions: GithubActions,
  info: (line: string) => void,
  tasks: readonly GroupedTask[],
  signal: AbortSignal,
  concurrent = 1,
): Promise<void> {
  const queue = [...tasks];
  const grouped = !actions.inGroup && concurrent <= 1;
  let failure: { error: unknown } | undefined;
  const runOne = async (task: GroupedTask): Promise<void> => {
    if (task.skip) return info(`${task.title}: skipped (${task.skip})`);
    const started = Date.now();
    if (grouped) actions.startGroup(task.title);
    else info(`${task.title}: started`);
    let failed = false;
    try {
      await task.run(signal);
    } catch (error) {
      failed = true;
      failure ??= { error };
    } finally {
      if (grouped) actions.endGroup();
    }
    info(failed ? `${task.title}: failed after ${seconds(started)}` : `${task.title}: done in ${seconds(started)}`);
  };
  const worker = async (): Promise<void> => {
    for (let task = queue.shift(); task !== undefined && failure === undefined; task = queue.shift()) await runOne(task);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrent, queue.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}
