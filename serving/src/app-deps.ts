import type { Logger } from 'pino';
import type { ServingMetrics } from './metrics.js';
import type { ModelState } from './model-state.js';

/** Everything the HTTP layer uses; tests build it around a fake backend and call `app.request()`. */
export interface AppDeps {
  model: ModelState;
  metrics: ServingMetrics;
  logger: Logger;
  maxBodyBytes: number;
  /** BASE_PATH (config.ts): routes answer under it too. */
  basePath?: string | undefined;
}
