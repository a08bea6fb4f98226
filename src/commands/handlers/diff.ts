import type { CommandHandler } from '../../lib/command.js';

interface DiffOptions {
  service?: string[];
}

const diff: CommandHandler<DiffOptions> = async (context, options) => {
  const { diffCluster } = await import('../../lib/deploy/diff.js');
  const diffs = await diffCluster(context, options.service);
  const changed = diffs.filter((entry) => entry.change !== 'none');
  context.output.result({ changes: diffs }, () =>
    changed.length === 0
      ? 'no changes'
      : changed
          .map((entry) => (entry.change === 'create' ? `+ ${entry.kind}/${entry.name} (new)\n${entry.patch}` : entry.patch))
          .join('\n'),
  );
};
export default diff;
