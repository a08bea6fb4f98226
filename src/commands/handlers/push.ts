import type { CommandHandler } from '../../lib/command.js';

interface PushOptions {
  service?: string[];
}

const push: CommandHandler<PushOptions> = async (context, options) => {
  const [{ pushProject }, { formatPushResults }] = await Promise.all([
    import('../../lib/image/pusher.js'),
    import('../../lib/image/format-images.js'),
  ]);
  const results = await pushProject(context, { services: options.service });
  context.output.result({ images: results }, () => formatPushResults(results));
};
export default push;
