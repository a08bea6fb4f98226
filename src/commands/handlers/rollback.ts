import type { CommandHandler } from '../../lib/command.js';
import { UsageError } from '../../lib/errors.js';

interface RollbackOptions {
  toRevision?: string;
  wait?: boolean;
}

const rollback: CommandHandler<RollbackOptions, [service: string | undefined]> = async (context, options, [service]) => {
  const raw = options.toRevision;
  const toRevision = raw === undefined ? undefined : Number(raw);
  if (toRevision !== undefined && (!Number.isInteger(toRevision) || toRevision < 1))
    throw new UsageError(`--to-revision ${raw}: a revision is a positive whole number.`);
  const [{ rollbackServices }, { withProjectLock }] = await Promise.all([
    import('../../lib/deploy/rollback.js'),
    import('../../lib/lock/project-lock.js'),
  ]);
  const restored = await withProjectLock(context, 'rollback', { wait: options.wait === true, signal: context.signal }, () =>
    rollbackServices(context, service === undefined ? [] : [service], toRevision),
  );
  context.output.result({ rolledBack: restored }, () =>
    restored.map((r) => `${r.service}: back at revision ${r.revision} (ReplicaSet ${r.replicaSet})`).join('\n'),
  );
};
export default rollback;
