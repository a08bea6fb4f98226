/**
 * `mlp status --watch`: the report again every 2 s until Ctrl-C. On a terminal the table is redrawn in place; in a
 * pipe or CI each refresh is printed in full under a time stamp (or, with --json, as one JSON line), so a log keeps
 * every one. A refresh that fails (the API server restarting) is reported and the watch goes on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandContext } from '../context.js';
import { collectStatus } from './collect-status.js';
import { formatStatus, type FormatOptions } from './format-status.js';
import type { StatusReport } from './service-status.js';

export const WATCH_INTERVAL_MS = 2000;
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** Resolves with the last report when the command's signal is aborted (Ctrl-C); the first failure is thrown. */
export async function watchStatus(
  context: CommandContext,
  names: readonly string[],
  colours: FormatOptions,
  intervalMs = WATCH_INTERVAL_MS,
): Promise<StatusReport> {
  const { stdout } = context.io;
  const redraw = Boolean(stdout.isTTY) && !context.output.ci && !context.output.json;
  let last: StatusReport | undefined;
  while (!context.signal.aborted) {
    const at = new Date();
    try {
      last = await collectStatus(context, names);
      if (context.output.json) stdout.write(`${JSON.stringify({ at: at.toISOString(), ...last })}\n`);
      else {
        const table = formatStatus(last, { ...colours, now: at.getTime() });
        const stamp = `${at.toISOString().replace(/\.\d+Z$/, 'Z')} · every ${intervalMs / 1000} s · Ctrl-C to stop`;
        stdout.write(redraw ? `${CLEAR_SCREEN}${table}\n\n${stamp}\n` : `--- ${stamp}\n${table}\n\n`);
      }
    } catch (error) {
      if (context.signal.aborted && last) break;
      if (!last) throw error;
      context.output.warn(`status refresh failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await sleep(intervalMs, undefined, { signal: context.signal }).catch(() => undefined);
  }
  if (!last) throw new Error('interrupted before the first status');
  return last;
}
