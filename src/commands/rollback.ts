import { defineCommand } from '../lib/command.js';
import { UsageError } from '../lib/errors.js';

export default defineCommand({
  usage: 'rollback [service]',
  summary: 'Restore the previous (or a given) revision of a service on the cluster',
  description:
    "Puts the previous ReplicaSet's pod template back on each service's Deployment (all services without an argument) and waits until it is available, as `kubectl rollout undo` would. The next mlp deploy takes the Deployment back.",
  examples: ['mlp rollback fraud', 'mlp rollback fraud --to-revision 3'],
  configure(command) {
    command.option('--to-revision <n>', 'the Deployment revision to restore');
  },
  async run(context, options, args) {
    const raw = options.toRevision as string | undefined;
    const toRevision = raw === undefined ? undefined : Number(raw);
    if (toRevision !== undefined && (!Number.isInteger(toRevision) || toRevision < 1)) throw new UsageError(`--to-revision ${raw}: a revision is a positive whole number.`);
    const { rollbackServices } = await import('../lib/deploy/eks.js');
    const restored = await rollbackServices(context, args.filter((arg): arg is string => typeof arg === 'string'), toRevision);
    context.output.result({ rolledBack: restored }, () => restored.map((r) => `${r.service}: back at revision ${r.revision} (ReplicaSet ${r.replicaSet})`).join('\n'));
  },
});
