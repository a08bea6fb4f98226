import { defineCommand } from '../lib/command.js';

export default defineCommand({
  usage: 'diff',
  summary: 'Show what mlp deploy would change on the cluster',
  description:
    'Renders the manifests and sends each as a server-side apply dry run (field manager mlp), then prints a unified diff between the live object and what the API server would store. Nothing is changed. Objects that would be pruned are not listed.',
  examples: ['mlp diff --profile eks', 'mlp diff --service fraud --json'],
  configure(command) {
    command.option('--service <name...>', 'only these services (the project objects are always compared)');
  },
  async run(context, options) {
    const { diffCluster } = await import('../lib/deploy/eks.js');
    const diffs = await diffCluster(context, options.service as string[] | undefined);
    const changed = diffs.filter((diff) => diff.change !== 'none');
    context.output.result({ changes: diffs }, () =>
      changed.length === 0 ? 'no changes' : changed.map((diff) => (diff.change === 'create' ? `+ ${diff.kind}/${diff.name} (new)\n${diff.patch}` : diff.patch)).join('\n'),
    );
  },
});
