import type { CommandHandler } from '../../lib/command.js';
import type { CommandContext } from '../../lib/context.js';
import { UsageError } from '../../lib/errors.js';
import type { PlanView } from '../../lib/scale/format.js';

interface ScaleOptions {
  nodegroup?: string;
  dryRun?: true;
  drainTimeout: string;
  timeout: string;
  wait?: true;
}

function seconds(flag: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} ${raw}: give a number of seconds greater than 0.`);
  return value * 1000;
}

/**
 * Down changes what runs on the cluster, so it is confirmed: on a terminal by a y/N question (stdin is not part of
 * CliIo: only a person at a terminal answers it), elsewhere only by --yes.
 */
function confirmer(context: CommandContext): (plan: PlanView) => Promise<boolean> {
  return async (plan) => {
    if (plan.direction === 'up' || context.yes) return true;
    if (!context.output.interactive || !process.stdin.isTTY)
      throw new UsageError('mlp scale down drains nodes and there is no terminal to confirm on: pass --yes to go ahead.', {
        hint: 'mlp scale down --dry-run prints the plan without changing anything',
      });
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: context.io.stderr });
    try {
      const answer = await rl.question(`Drain ${plan.going.length} node(s) and scale ${plan.nodegroup} down? [y/N] `, {
        signal: context.signal,
      });
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  };
}

const scale: CommandHandler<ScaleOptions, ['up' | 'down']> = async (context, options, [direction]) => {
  const drainTimeoutMs = seconds('--drain-timeout', options.drainTimeout);
  const timeoutMs = seconds('--timeout', options.timeout);
  const { scaleNodegroup } = await import('../../lib/scale/scale-nodegroup.js');
  const { formatPlan, formatResult } = await import('../../lib/scale/format.js');
  const confirm = confirmer(context);
  const result = await scaleNodegroup(context, {
    direction,
    nodegroup: options.nodegroup,
    dryRun: options.dryRun === true,
    waitForLock: options.wait === true,
    drainTimeoutMs,
    timeoutMs,
    confirm: async (plan) => {
      // The plan goes first, on stderr: it is what the question is about (the result on stdout repeats nothing).
      context.output.info(formatPlan(plan));
      return confirm(plan);
    },
  });
  context.output.result(result, () => formatResult(result));
};
export default scale;
