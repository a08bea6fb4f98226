/**
 * The prediction routes served straight on node:http: POST /predict, /batch_predict and
 * /v2/models/<name>[/versions/<version>]/infer. They answer exactly what the same routes answer through Hono
 * (app.ts): the same handlers (answerPredict, answerInfer), the same error mapping (error-response.ts), headers,
 * metrics and log line (request-record.ts); serving/test/hot-routes.test.ts sends the same requests both ways.
 * What they skip is the web Request, Context and Response built around each request, which bench/serving
 * measured as the largest part of the time a prediction takes at 32 connections. Everything else (other methods
 * and paths, a query string, a percent-encoded name, a model still loading) goes to Hono.
 */
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import { withoutBasePath } from './app.js';
import type { AppDeps } from './app-deps.js';
import { errorAnswer } from './error-response.js';
import { recordRequest } from './request-record.js';
import { requestIdFrom } from './request-id.js';
import { answerPredict, type PredictRoute } from './routes/predict.js';
import { answerInfer, type InferAnswer } from './routes/v2.js';

interface HotRoute {
  /** The Hono route pattern, as metrics and logs label it. */
  route: string;
  protocol: 'seed' | 'v2';
  answer(request: IncomingMessage): Promise<InferAnswer>;
}

const V2_INFER = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer$/;

export function hotRoutes(deps: AppDeps, fallback: RequestListener): RequestListener {
  const seedRoute = (route: PredictRoute): HotRoute => ({
    route,
    protocol: 'seed',
    answer: async (request) => ({ json: await answerPredict(request, deps, route) }),
  });
  const predict = seedRoute('/predict');
  const batch = seedRoute('/batch_predict');

  const match = (url: string): HotRoute | undefined => {
    // Hono decodes both; rare enough to leave to it.
    if (url.includes('?') || url.includes('%')) return undefined;
    const path = withoutBasePath(url, deps.basePath);
    if (path === '/predict') return predict;
    if (path === '/batch_predict') return batch;
    const v2 = V2_INFER.exec(path);
    if (v2 === null) return undefined;
    const [, name, version] = v2;
    return {
      route: version === undefined ? '/v2/models/:name/infer' : '/v2/models/:name/versions/:version/infer',
      protocol: 'v2',
      answer: (request) => answerInfer(request, deps, name, version),
    };
  };

  return (request, response) => {
    const hot = request.method === 'POST' && deps.model.warmedUp ? match(request.url ?? '') : undefined;
    if (hot === undefined) {
      fallback(request, response);
      return;
    }
    serve(deps, hot, request, response).catch((error: unknown) => {
      deps.logger.error({ err: error, method: request.method, path: request.url }, 'unhandled error');
      response.destroy();
    });
  };
}

async function serve(deps: AppDeps, hot: HotRoute, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const started = performance.now();
  const path = request.url as string;
  const header = request.headers['x-request-id'];
  const requestId = requestIdFrom(typeof header === 'string' ? header : undefined);
  const headers: OutgoingHttpHeaders = { 'X-Request-Id': requestId, 'Content-Type': 'application/json' };
  let status = 200;
  let body: string | Uint8Array;
  try {
    const answer = await hot.answer(request);
    if ('json' in answer) body = JSON.stringify(answer.json);
    else {
      body = answer.body;
      Object.assign(headers, answer.headers);
    }
  } catch (error) {
    const answer = errorAnswer(error, hot.protocol, (err) =>
      deps.logger.error({ err, request_id: requestId, method: 'POST', path }, 'unhandled error'),
    );
    status = answer.status;
    body = JSON.stringify(answer.body);
    if (answer.closeConnection) headers.Connection = 'close';
  }
  // While draining, each answered connection closes (app.ts says why).
  if (deps.model.draining) headers.Connection = 'close';
  headers['Content-Length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  response.writeHead(status, headers);
  response.end(body);
  recordRequest(deps, { method: 'POST', route: hot.route, path, status, started, requestId });
}
