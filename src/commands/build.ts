import { defineCommand } from '../lib/command.js';

export default defineCommand({
  usage: 'build',
  summary: 'Build each service image (and the training image) from templates/docker',
  description:
    "Builds multi-stage images with docker buildx (or docker build with BuildKit), tagged by a content hash of their inputs (Dockerfile, server, lockfile, model) plus the git sha. An image whose content tag already exists locally or in the registry is not rebuilt; a rebuild says which input changed. The platform defaults to the cluster's node architecture (eks) or the local engine's.",
  examples: ['mlp build', 'mlp build --service fraud --platform linux/amd64', 'mlp build --json'],
  configure(command) {
    command
      .option('--service <name...>', 'build only these services')
      .option('--platform <os/arch>', "target platform: linux/amd64 or linux/arm64 (default: the cluster's node architecture)")
      .option('--no-cache', 'rebuild even when the content tag exists, without the layer cache');
  },
  async run(context, options) {
    const [{ buildProject }, { formatBuildResults }] = await Promise.all([import('../lib/image/builder.js'), import('../lib/image/format-images.js')]);
    const results = await buildProject(context, {
      services: options.service as string[] | undefined,
      platform: options.platform as string | undefined,
      noCache: options.cache === false,
    });
    context.output.result({ images: results }, () => formatBuildResults(results));
  },
});
