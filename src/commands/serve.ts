import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'serve',
  summary: 'Run the bundled serving app locally on a model directory or a registered version',
  description:
    'Starts the same server every deployed service runs (serving/), on this machine, until Ctrl-C. Without --model it serves the latest version "mlp train" registered, or --model-version.',
  examples: ['mlp serve -C examples/fraud', 'mlp serve --model-version 20261123T070000Z', 'mlp serve --model ./out --port 8080'],
  options: {
    model: option('--model <dir>', 'serve this model directory (model.onnx + metadata.json)'),
    // Not --version: that flag belongs to the program (mlp --version) wherever it appears on the command line.
    modelVersion: option('--model-version <version>', 'serve this registered model version (default: latest)'),
    port: option('--port <port>', 'port to listen on', { default: '8080' }),
    host: option('--host <address>', 'address to listen on', { default: '127.0.0.1' }),
  },
  handler: () => import('./handlers/serve.js'),
});
