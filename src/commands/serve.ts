import { defineCommand, notBuiltYet } from '../lib/command.js';

export default defineCommand({
  usage: 'serve',
  summary: 'Run the bundled serving app locally on a model directory or a registered version',
  examples: ['mlp serve -C examples/fraud', 'mlp serve --model-version 20261123T070000Z', 'mlp serve --model ./out --port 8080'],
  configure(command) {
    command
      .option('--model <dir>', 'serve this model directory (model.onnx + metadata.json)')
      // Not --version: that flag belongs to the program (mlp --version) wherever it appears on the command line.
      .option('--model-version <version>', 'serve this registered model version (default: latest)')
      .option('--port <port>', 'port to listen on', '8080');
  },
  run: notBuiltYet('mlp serve', 'issue #3 (serving, the fraud example and local training)'),
});
