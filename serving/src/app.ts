/**
 * The serving app's HTTP surface, built without listening: server.ts (via start-server.ts) serves it, unit
 * tests call `app.request()`. Every response carries X-Request-Id and a JSON body; every request is logged
 * once and counted by route pattern.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { routePath } from 'hono/route';
import { getPath } from 'hono/utils/url';
import type { AppDeps } from './app-deps.js';
import { honoErrorHandler } from './error-response.js';
import { allowedMethodsOf, errorBody } from './errors.js';
import { nodeIncoming, nodeOutgoing, payloadTooLarge } from './json-body.js';
import { opsRoutes } from './routes/ops.js';
import { predictRoutes } from './routes/predict.js';
import { taskRoutes } from './routes/tasks.js';
import { recordRequest } from './request-record.js';
import { requestIdFrom } from './request-id.js';
import { uiRoutes } from './routes/ui.js';
import { v2Routes } from './routes/v2.js';
import { isV2Path, v2ErrorBody } from './v2/errors.js';

export type { AppDeps } from './app-deps.js';

type Env = { Variables: { requestId: string } };

/** Label for requests no route matched, so scanners probing random paths add one series, not one per path. */
const UNMATCHED_ROUTE = 'unmatched';

export function createApp(deps: AppDeps): Hono<Env> {
  const { logger } = deps;
  const app = new Hono<Env>(deps.basePath === undefined ? {} : { getPath: stripBasePath(deps.basePath) });

  app.use(async (c, next) => {
    const started = performance.now();
    const incoming = nodeIncoming(c);
    // Straight from and to the Node request and response when there are some: c.req.header() would build a
    // Headers copy of the request's, and c.header() a Headers object that node-server then converts back.
    const outgoing = nodeOutgoing(c);
    const header = incoming === undefined ? c.req.header('x-request-id') : incoming.headers['x-request-id'];
    const requestId = requestIdFrom(typeof header === 'string' ? header : undefined);
    c.set('requestId', requestId);
    if (outgoing === undefined) c.header('X-Request-Id', requestId);
    else outgoing.setHeader('X-Request-Id', requestId);
    await next();
    // While draining, each answered connection closes, so keep-alive clients reconnect (to another pod) instead
    // of racing the listener's close with their next request.
    if (deps.model.draining) {
      if (outgoing === undefined) c.header('Connection', 'close');
      else outgoing.setHeader('Connection', 'close');
    }
    recordRequest(deps, { method: c.req.method, route: routeLabel(c), path: c.req.path, status: c.res.status, started, requestId });
  });

  // Under @hono/node-server, readJsonBody enforces the limit while reading the socket (see json-body.ts for why
  // hono's bodyLimit is too slow there); everywhere else hono's bodyLimit does.
  const webBodyLimit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: (c) => {
      const error = payloadTooLarge(deps.maxBodyBytes);
      return c.json(isV2Path(c.req.path) ? v2ErrorBody(error.message) : error.toBody(), 413);
    },
  });
  app.use((c, next) => (nodeIncoming(c) === undefined ? webBodyLimit(c, next) : next()));

  app.route('/', opsRoutes(deps));
  app.route('/', predictRoutes(deps));
  app.route('/', taskRoutes(deps));
  app.route('/', v2Routes(deps));
  app.route('/', uiRoutes(deps));

  // A known path asked with another method is a 405 naming the methods it takes; under /v2 in the protocol's shape.
  const allowedMethods = allowedMethodsOf(app.routes);
  app.notFound((c) => {
    const { method, path } = c.req;
    const allowed = allowedMethods(path);
    const message =
      allowed.length > 0
        ? `${path} does not answer ${method}; it answers ${allowed.join(', ')}`
        : `no route for ${method} ${path}; GET /openapi.json lists the routes`;
    const body = isV2Path(path) ? v2ErrorBody(message) : errorBody(allowed.length > 0 ? 'method_not_allowed' : 'not_found', message);
    return allowed.length > 0 ? c.json(body, 405, { Allow: allowed.join(', ') }) : c.json(body, 404);
  });

  app.onError(honoErrorHandler('seed', logger));

  return app;
}

/** Routing by the path without BASE_PATH, so /fraud/predict is /predict (and metrics label it so). */
function stripBasePath(basePath: string): (request: Request) => string {
  return (request) => withoutBasePath(getPath(request), basePath);
}

/** The path the routes see: /fraud/predict is /predict and /fraud is / under BASE_PATH=/fraud; others unchanged. */
export function withoutBasePath(path: string, basePath: string | undefined): string {
  if (basePath === undefined) return path;
  if (path === basePath) return '/';
  return path.startsWith(basePath) && path[basePath.length] === '/' ? path.slice(basePath.length) : path;
}

function routeLabel(c: Context): string {
  const route = routePath(c, -1);
  return route === '' || route === '*' || route === '/*' ? UNMATCHED_ROUTE : route;
}
