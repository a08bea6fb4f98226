import { defineCommand } from '../lib/command.js';
import { UsageError } from '../lib/errors.js';

export default defineCommand({
  usage: 'train',
  summary: 'Run the training command and register its outputs as a new model version',
  description:
    'Runs training.command from mlp.yaml — here, or as a Kubernetes Job on the cluster when training.remote.enabled (or --remote) — validates that the model loads and matches its metadata, then stores it under <name>/<timestamp version>/ with a latest pointer. On the cluster the training image is built and pushed first, the Job\'s log is streamed, and the model comes back through training.remote.artifacts (S3).',
  examples: ['mlp train -C examples/fraud', 'mlp train --remote', 'mlp train --list'],
  configure(command) {
    command
      .option('--list', 'list the registered model versions with their metrics')
      .option('--remote', 'run training as a Kubernetes Job on the cluster (sets training.remote.enabled)')
      .option('--local', 'run training here even when training.remote.enabled');
  },
  async run(context, options) {
    if (options.remote === true && options.local === true) throw new UsageError('--remote and --local contradict each other; pick one.');
    const remoteTraining = options.remote === true ? true : options.local === true ? false : undefined;
    await context.loadConfig(remoteTraining === undefined ? undefined : { remoteTraining });
    const [{ trainProject, listProjectVersions }, { formatTrainResult, formatVersionList }] = await Promise.all([
      import('../lib/train/local-trainer.js'),
      import('../lib/model/format-models.js'),
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
