import { defineCommand } from '../lib/command.js';
import { NotImplementedError } from '../lib/errors.js';

export default defineCommand({
  usage: 'train',
  summary: 'Run the training command and register its outputs as a new model version',
  description:
    'Runs training.command from mlp.yaml (locally, or as a Kubernetes Job with --remote), validates that the model loads and matches its metadata, then stores it under <name>/<timestamp version>/ with a latest pointer.',
  examples: ['mlp train -C examples/fraud', 'mlp train --list'],
  configure(command) {
    command
      .option('--list', 'list the registered model versions with their metrics')
      .option('--remote', 'run training as a Kubernetes Job on the cluster instead of locally');
  },
  async run(context, options) {
    if (options.remote === true) throw new NotImplementedError('mlp train --remote', 'issue #5 (render and Kubernetes deploy)');
    const [{ trainProject, listProjectVersions }, { formatTrainResult, formatVersionList }] = await Promise.all([
      import('../lib/pipeline/trainer.js'),
      import('../lib/pipeline/format-models.js'),
    ]);
    if (options.list === true) {
      const { model, versions } = await listProjectVersions(context);
      context.output.result({ model, versions }, () => formatVersionList(model, versions, context.output.color));
      return;
    }
    const result = await trainProject(context);
    context.output.result(result, () => formatTrainResult(result, context.output.color));
  },
});
