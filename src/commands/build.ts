import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'build',
  summary: 'Build each service image (and the training image) from templates/docker',
  description:
    'Builds multi-stage images with docker buildx, tagged by a content hash of their inputs plus the git sha; an image whose tag already exists is not rebuilt.',
  examples: ['mlp build', 'mlp build --service fraud --platform linux/amd64'],
  configure(command) {
    command
      .option('--service <name...>', 'build only these services')
      .option('--platform <os/arch>', "target platform (default: the cluster's node architecture)")
      .option('--no-cache', 'build without the layer cache');
  },
  run: notBuiltYet('mlp build', 'issue #4 (build and push)'),
});
