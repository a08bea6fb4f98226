import { defineCommand } from '../lib/command.js';
import { UsageError } from '../lib/errors.js';

export default defineCommand({
  usage: 'serve',
  summary: 'Run the bundled serving app locally on a model directory or a registered version',
  description:
    'Starts the same server every deployed service runs (serving/), on this machine, until Ctrl-C. Without --model it serves the latest version "mlp train" registered, or --model-version.',
  examples: ['mlp serve -C examples/fraud', 'mlp serve --model-version 20261123T070000Z', 'mlp serve --model ./out --port 8080'],
  configure(command) {
    command
      .option('--model <dir>', 'serve this model directory (model.onnx + metadata.json)')
      // Not --version: that flag belongs to the program (mlp --version) wherever it appears on the command line.
      .option('--model-version <version>', 'serve this registered model version (default: latest)')
      .option('--port <port>', 'port to listen on', '8080')
      .option('--host <address>', 'address to listen on', '127.0.0.1');
  },
  async run(context, options) {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new UsageError(`--port "${String(options.port)}" is not a port number.`, { hint: 'Pass an integer from 0 to 65535.' });
    }
    const { resolveServedModel, serveModel } = await import('../lib/serve-local.js');
    const request = {
      ...(typeof options.model === 'string' ? { model: options.model } : {}),
      ...(typeof options.modelVersion === 'string' ? { modelVersion: options.modelVersion } : {}),
      port,
      host: String(options.host),
    };
    const served = await resolveServedModel(context, request);
    await serveModel(context, served, request);
  },
});
