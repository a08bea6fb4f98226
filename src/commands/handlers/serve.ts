import type { CommandHandler } from '../../lib/command.js';
import { UsageError } from '../../lib/errors.js';

interface ServeOptions {
  model?: string;
  modelVersion?: string;
  port: string;
  host: string;
}

const serve: CommandHandler<ServeOptions> = async (context, options) => {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--port "${options.port}" is not a port number.`, { hint: 'Pass an integer from 0 to 65535.' });
  }
  const { resolveServedModel, serveModel } = await import('../../lib/serve-local.js');
  const request = {
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.modelVersion === undefined ? {} : { modelVersion: options.modelVersion }),
    port,
    host: options.host,
  };
  const served = await resolveServedModel(context, request);
  await serveModel(context, served, request);
};
export default serve;
