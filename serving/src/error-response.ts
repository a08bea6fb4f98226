/**
 * What a thrown error answers, in the seeds' shape or the Open Inference Protocol's: one mapping for app.onError,
 * the v2 sub-app's onError and the hot routes (hot-routes.ts), so a failure reads the same whichever path served it.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { errorBody, ServingError } from './errors.js';
import { nodeOutgoing } from './json-body.js';
import { v2ErrorBody } from './v2/errors.js';

export interface ErrorAnswer {
  status: ContentfulStatusCode;
  body: object;
  /** The rest of an oversized body is never read: closing beats letting Node drain gigabytes to keep the socket. */
  closeConnection: boolean;
}

const INTERNAL_ERROR = 'internal server error; the server log has the details under this X-Request-Id';

/** `logUnexpected` is told about anything that is not an expected failure: a bug, answered as a 500 without its stack. */
export function errorAnswer(error: unknown, protocol: 'seed' | 'v2', logUnexpected: (error: unknown) => void): ErrorAnswer {
  const v2 = protocol === 'v2';
  if (error instanceof ServingError) {
    return { status: error.status, body: v2 ? v2ErrorBody(error.message) : error.toBody(), closeConnection: error.status === 413 };
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const message = error.message || 'request failed';
    const body = v2 ? v2ErrorBody(message) : errorBody(status === 413 ? 'payload_too_large' : 'http_error', message);
    return { status, body, closeConnection: false };
  }
  logUnexpected(error);
  return { status: 500, body: v2 ? v2ErrorBody(INTERNAL_ERROR) : errorBody('internal_error', INTERNAL_ERROR), closeConnection: false };
}

/** A Hono `onError` answering with {@link errorAnswer}: app.ts's in the seeds' shape, the v2 sub-app's in the protocol's. */
export function honoErrorHandler(protocol: 'seed' | 'v2', logger: Logger): (error: Error, c: Context) => Response {
  return (error, c) => {
    const answer = errorAnswer(error, protocol, (err) => {
      const requestId = (c.get as (key: string) => unknown)('requestId');
      logger.error({ err, request_id: requestId, method: c.req.method, path: c.req.path }, 'unhandled error');
    });
    if (answer.closeConnection) nodeOutgoing(c)?.setHeader('Connection', 'close');
    return c.json(answer.body, answer.status);
  };
}
