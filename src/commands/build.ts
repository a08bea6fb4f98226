import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'build',
  summary: 'Build each service image (and the training image) from templates/docker',
  description:
    "Builds multi-stage images with docker buildx (or docker build with BuildKit), tagged by a content hash of their inputs (Dockerfile, server, lockfile, model) plus the git sha. An image whose content tag already exists locally or in the registry is not rebuilt; a rebuild says which input changed. The platform defaults to the cluster's node architecture (eks) or the local engine's.",
  examples: ['mlp build', 'mlp build --service fraud --platform linux/amd64', 'mlp build --json'],
  options: {
    service: option('--service <name...>', 'build only these services'),
    platform: option('--platform <os/arch>', "target platform: linux/amd64 or linux/arm64 (default: the cluster's node architecture)"),
    cache: option('--no-cache', 'rebuild even when the content tag exists, without the layer cache'),
  },
  handler: () => import('./handlers/build.js'),
});
