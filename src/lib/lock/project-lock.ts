/**
 * One deploy, rollback or scale of a project at a time. On the eks target the lock is a Lease in the project's
 * namespace (lease-lock.ts), on the local target a file under <project>/.mlp/lock (file-lock.ts). A second operation
 * fails with exit 7 naming the holder, or with --wait waits for it; a lock whose holder is gone (an expired Lease, a
 * dead pid) is taken over with a warning. Dry runs and read-only commands never call this.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandContext } from '../context.js';
import { MlpError } from '../errors.js';
import type { LockBackend } from './backend.js';
import { currentHolder, describeHolder, lockedError, type HeldOperation } from './holder.js';

export type LockedOperation = HeldOperation;

/**
 * Runs `run` while holding the project's lock for `operation` and releases it when `run` settles (also when it
 * fails or Ctrl-C aborts it). Throws MlpError('locked') when another process holds the lock, unless `options.wait`:
 * then it says once whom it waits for and polls until the lock is free (or `options.signal` aborts). On the eks
 * target the cluster comes from clusterForRun(context), which the run then reuses.
 */
export async function withProjectLock<T>(
  context: CommandContext,
  operation: LockedOperation,
  options: { wait: boolean; signal: AbortSignal },
  run: () => Promise<T>,
): Promise<T> {
  const { config } = await context.loadConfig();
  const lock = await lockFor(context, operation);
  await acquire(lock, config.name, options, context);
  try {
    return await run();
  } finally {
    await lock.release();
  }
}

async function lockFor(context: CommandContext, operation: LockedOperation): Promise<LockBackend> {
  const { config } = await context.loadConfig();
  const holder = currentHolder(operation, context.io.env);
  if (config.deploy.target === 'local') {
    const { FileLock } = await import('./file-lock.js');
    return new FileLock(context.dir, holder);
  }
  const [{ LeaseLock }, { clusterForRun }, { namespaceOf }] = await Promise.all([
    import('./lease-lock.js'),
    import('../per-run.js'),
    import('../render/render-context.js'),
  ]);
  return new LeaseLock(await clusterForRun(context), namespaceOf(config), config.name, holder, context.output);
}

async function acquire(
  lock: LockBackend,
  project: string,
  options: { wait: boolean; signal: AbortSignal },
  context: CommandContext,
): Promise<void> {
  let announced = false;
  for (;;) {
    if (options.signal.aborted) throw interrupted(lock);
    const attempt = await lock.tryAcquire();
    if (attempt.acquired) {
      if (attempt.tookOver)
        context.output.warn(
          `took over the stale lock of ${describeHolder(attempt.tookOver.holder)}: ${attempt.tookOver.why} (${lock.where})`,
        );
      return;
    }
    if (!options.wait) throw lockedError(project, attempt.holder, lock.where);
    if (!announced) {
      context.output.info(`waiting for ${describeHolder(attempt.holder)} to finish (${lock.where})…`);
      announced = true;
    }
    await sleep(lock.pollMilliseconds, undefined, { signal: options.signal }).catch(() => {
      throw interrupted(lock);
    });
  }
}

function interrupted(lock: LockBackend): MlpError {
  return new MlpError('interrupted', `Interrupted while waiting for ${lock.where}; nothing was changed.`);
}
