import type { CommandHandler } from '../../lib/command.js';

/** What `mlp build` is given: src/commands/build.ts declares the flags, and defineCommand checks they match. */
interface BuildOptions {
  service?: string[];
  platform?: string;
  /** false with --no-cache. */
  cache: boolean;
}

const build: CommandHandler<BuildOptions> = async (context, options) => {
  const [{ buildProject }, { formatBuildResults }] = await Promise.all([
    import('../../lib/image/builder.js'),
    import('../../lib/image/format-images.js'),
  ]);
  const results = await buildProject(context, { services: options.service, platform: options.platform, noCache: !options.cache });
  context.output.result({ images: results }, () => formatBuildResults(results));
};
export default build;
