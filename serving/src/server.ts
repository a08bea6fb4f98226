/**
 * Entry point of the bundled inference server (dist/serving/server.js): configuration from the environment,
 * then start-server.ts does the rest. Exit codes: 0 after a drain on SIGTERM/SIGINT, 1 when the model cannot
 * be loaded or a bug escapes, 2 for an invalid environment variable.
 */
import { ConfigError, loadConfig, type ServingConfig } from './config.js';
import { flushLogs } from './logger.js';
import { startServer } from './start-server.js';

let config: ServingConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`mlp-serving: invalid environment: ${error.message}\n`);
  process.exit(2);
}

const running = await startServer(config);
const { logger } = running;

const exit = (code: number): never => {
  flushLogs(logger);
  process.exit(code);
};

process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception');
  exit(1);
});
process.on('unhandledRejection', (reason) => {
  logger.fatal({ err: reason }, 'unhandled promise rejection');
  exit(1);
});

running.loaded.catch((error: unknown) => {
  logger.fatal({ err: { message: (error as Error).message } }, `cannot load the model from ${config.modelDir}`);
  exit(1);
});

let signalled = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (signalled) {
      // A second signal means "now": whoever sent it has stopped waiting for the drain.
      logger.warn({ signal }, 'second signal during drain; exiting at once');
      exit(1);
    }
    signalled = true;
    void running.shutdown(signal).then(() => exit(0));
  });
}
