/**
 * Errors on the Open Inference Protocol's routes take the protocol's shape, `{"error": "<message>"}`: that is
 * what its clients (tritonclient, KServe's) read and show. The seeds' routes keep `{error: {code, message}}`
 * (errors.ts). The message keeps the field path the seeds' shape has in `field` (`inputs[0].data[3]: …`).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { ServingError } from '../errors.js';
import { nodeOutgoing } from '../json-body.js';

export interface V2ErrorBody {
  error: string;
}

export function v2ErrorBody(message: string): V2ErrorBody {
  return { error: message };
}

/** Every path under /v2 is the protocol's, including the ones no route matches. */
export function isV2Path(path: string): boolean {
  return path === '/v2' || path.startsWith('/v2/');
}

/** The `onError` of the v2 sub-app: app.onError's mapping, in the protocol's shape. */
export function v2ErrorHandler(logger: Logger): (error: Error, c: Context) => Response {
  return (error, c) => {
    if (error instanceof ServingError) {
      if (error.status === 413) nodeOutgoing(c)?.setHeader('Connection', 'close');
      return c.json(v2ErrorBody(error.message), error.status);
    }
    if (error instanceof HTTPException) return c.json(v2ErrorBody(error.message || 'request failed'), error.status as ContentfulStatusCode);
    const requestId = (c.get as (key: string) => unknown)('requestId');
    logger.error({ err: error, request_id: requestId, method: c.req.method, path: c.req.path }, 'unhandled error');
    return c.json(v2ErrorBody('internal server error; the server log has the details under this X-Request-Id'), 500);
  };
}
