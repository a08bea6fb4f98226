/**
 * Every answered request is counted (ml_requests_total, ml_request_duration_seconds) and logged once, at info, as
 * `request`, whichever path served it: the Hono middleware (app.ts) or the hot routes (hot-routes.ts).
 */
import type { AppDeps } from './app-deps.js';

export interface AnsweredRequest {
  method: string;
  /** The route pattern (`/v2/models/:name/infer`), never the raw path: it labels a metric. */
  route: string;
  path: string;
  status: number;
  /** performance.now() when the request arrived. */
  started: number;
  requestId: string;
}

export function recordRequest({ metrics, logger }: Pick<AppDeps, 'metrics' | 'logger'>, request: AnsweredRequest): void {
  const { method, route, path, status, requestId } = request;
  const seconds = (performance.now() - request.started) / 1000;
  metrics.observeRequest(route, method, status, seconds);
  logger.info({ method, route, path, status, duration_ms: Math.round(seconds * 1e6) / 1000, request_id: requestId }, 'request');
}
