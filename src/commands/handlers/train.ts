import type { CommandHandler } from '../../lib/command.js';
import { UsageError } from '../../lib/errors.js';

interface TrainOptions {
  list?: boolean;
  remote?: boolean;
  local?: boolean;
}

const train: CommandHandler<TrainOptions> = async (context, options) => {
  if (options.remote && options.local) throw new UsageError('--remote and --local contradict each other; pick one.');
  const remoteTraining = options.remote ? true : options.local ? false : undefined;
  await context.loadConfig(remoteTraining === undefined ? undefined : { remoteTraining });
  const [{ trainProject, listProjectVersions }, { formatTrainResult, formatVersionList }] = await Promise.all([
    import('../../lib/train/stage.js'),
    import('../../lib/model/format-models.js'),
  ]);
  if (options.list) {
    const { model, versions } = await listProjectVersions(context);
    context.output.result({ model, versions }, () => formatVersionList(model, versions, context.output.color));
    return;
  }
  const result = await trainProject(context);
  context.output.result(result, () => formatTrainResult(result, context.output.color));
};
export default train;
