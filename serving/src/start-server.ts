/**
 * Starts the serving app on a port and owns its life cycle. server.ts calls this with the environment's
 * config; the HTTP tests call it in process with port 0. The listener opens before the model loads, so the
 * liveness probe answers during a slow load while readiness stays 503 until the warm-up prediction succeeded.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createApp, type AppDeps } from './app.js';
import { hotRoutes } from './hot-routes.js';
import type { ModelBackend } from './backend.js';
import type { ServingConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type ServingMetrics } from './metrics.js';
import { ModelState } from './model-state.js';
import { loadOnnxBackend } from './onnx-backend.js';
import { loadSageMakerBackend } from './sagemaker-backend.js';

export interface StartOptions {
  logger?: Logger;
  /** Tests build the backend themselves (e.g. a SageMaker backend with its own client). */
  loadBackend?: (config: ServingConfig, metrics: ServingMetrics) => Promise<ModelBackend>;
  /** Off in tests that start many servers in one process: default metrics install process-wide observers. */
  defaultMetrics?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  app: Hono<any>;
  model: ModelState;
  metrics: ServingMetrics;
  logger: Logger;
  server: Server;
  /** Where the Open Inference Protocol's gRPC service listens: only with GRPC_PORT. */
  grpcPort: number | undefined;
  /** Settles when the model is loaded and warmed up; rejects when loading failed (the caller decides to exit). */
  loaded: Promise<void>;
  /** Readiness 503 at once, then (after SHUTDOWN_DELAY_MS) stop accepting and let in-flight requests finish. */
  shutdown(reason: string): Promise<{ forced: boolean }>;
}

/** Back-off between SageMaker warm-up attempts: the endpoint may still be creating when the pod starts. */
const WARM_UP_RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

export async function startServer(config: ServingConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const model = new ModelState();
  const deps: AppDeps = { model, metrics, logger, maxBodyBytes: config.maxBodyBytes, basePath: config.basePath };
  const app = createApp(deps);

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = serve(
      {
        fetch: app.fetch,
        port: config.port,
        hostname: config.host,
        // The prediction routes skip Hono's per-request objects (hot-routes.ts); the rest goes through the app.
        createServer: ((options: ServerOptions, honoListener: RequestListener) =>
          createServer(options, hotRoutes(deps, honoListener))) as typeof createServer,
      },
      () => resolve(listening as Server),
    ) as Server;
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ port, host: config.host, model_dir: config.modelDir, backend: config.sagemaker ? 'sagemaker' : 'onnx' }, 'listening');

  // Imported only when asked for: most services never load @grpc/grpc-js.
  const grpcServer =
    config.grpcPort === undefined
      ? undefined
      : await (
          await import('./v2/grpc-server.js')
        ).startGrpcServer({
          model,
          metrics,
          logger,
          host: config.host,
          port: config.grpcPort,
          maxMessageBytes: config.maxBodyBytes,
        });

  let stopping = false;
  const loaded = (async () => {
    const started = performance.now();
    const backend = await (options.loadBackend ?? loadBackend)(config, metrics);
    model.setBackend(backend);
    for (let attempt = 0; ; attempt++) {
      try {
        await backend.warmUp();
        break;
      } catch (error) {
        // A broken model.onnx will not fix itself; an endpoint that is still being created will.
        if (backend.kind !== 'sagemaker' || stopping) throw error;
        const delay = WARM_UP_RETRY_MS[Math.min(attempt, WARM_UP_RETRY_MS.length - 1)] as number;
        logger.warn({ err: { message: (error as Error).message }, retry_in_ms: delay }, 'warm-up prediction failed; not ready yet');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
    const now = new Date();
    model.markWarmedUp(now);
    metrics.setModelLoaded(backend.metadata, now.getTime() / 1000);
    const { model_name, model_version, feature_names } = backend.metadata;
    logger.info(
      {
        model_name,
        model_version,
        features: feature_names.length,
        backend: backend.kind,
        load_ms: Math.round(performance.now() - started),
      },
      'model ready',
    );
  })();
  // Observed here so a failed load is never an unhandled rejection; callers still see it through `loaded`.
  loaded.catch(() => undefined);

  let shutdownPromise: Promise<{ forced: boolean }> | undefined;
  const shutdown = (reason: string): Promise<{ forced: boolean }> => {
    shutdownPromise ??= (async () => {
      stopping = true;
      model.draining = true;
      logger.info(
        { reason, delay_ms: config.shutdownDelayMs, timeout_ms: config.shutdownTimeoutMs },
        'shutting down: readiness is 503, draining',
      );
      if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      const grpcClosed = grpcServer?.shutdown(config.shutdownTimeoutMs);
      let forced = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          forced = true;
          logger.warn({ timeout_ms: config.shutdownTimeoutMs }, 'drain timed out; closing the remaining connections');
          server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        // close() stops accepting and closes idle keep-alive connections; busy ones close after their response,
        // which carries Connection: close while draining (see app.ts).
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await grpcClosed;
      await model.backend?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the backend failed'));
      logger.info({ forced }, 'stopped');
      return { forced };
    })();
    return shutdownPromise;
  };

  return { url, port, app, model, metrics, logger, server, grpcPort: grpcServer?.port, loaded, shutdown };
}

function loadBackend(config: ServingConfig, metrics: ServingMetrics): Promise<ModelBackend> {
  const common = { modelDir: config.modelDir, ...(config.modelName === undefined ? {} : { modelNameOverride: config.modelName }) };
  return config.sagemaker
    ? loadSageMakerBackend({ ...common, sagemaker: config.sagemaker })
    : loadOnnxBackend({ ...common, intraOpThreads: config.onnxIntraOpThreads, onRun: metrics.observeModelRun });
}
