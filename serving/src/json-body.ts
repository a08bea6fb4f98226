/**
 * Reads a request body with the error statuses clients can act on: 415 for a body declared as something other
 * than JSON, 413 for one over MAX_BODY_BYTES, 400 for one that does not parse. A body sent without any
 * Content-Type is read as JSON: the Open Inference Protocol's own client (tritonclient) sends none, and "no
 * declaration" is not a contradiction the way `text/plain` is; if it does not parse, the 400 says so.
 *
 * Under @hono/node-server the body is read straight from the Node IncomingMessage. `c.req.text()` would first
 * build a full undici Request (an AbortController, a Headers copy, a web ReadableStream over the socket), which
 * profiling showed to cost more than the prediction; the same goes for hono's bodyLimit, which touches
 * `c.req.raw.body`. So the limit is enforced here, from Content-Length before reading and by counting bytes
 * while reading; app.ts applies hono's bodyLimit only where there is no IncomingMessage (`app.request()`,
 * other runtimes). Both paths answer 413 with the same body.
 */
import { IncomingMessage, type ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { ServingError } from './errors.js';

/** Where a request is read from: a Hono context, or the Node request itself on the hot routes (hot-routes.ts). */
export type RequestSource = Context | IncomingMessage;

export async function readJsonBody(c: RequestSource, maxBytes: number): Promise<unknown> {
  const contentType = declaredContentType(c);
  if (contentType !== undefined && !isJsonMediaType(contentType)) throw unsupportedMediaType(contentType);
  return parseJsonText((await readBody(c, maxBytes)).toString('utf8'), contentType === undefined);
}

/** The raw body, within the limit: for bodies that are not only JSON (the v2 binary tensor extension). */
export async function readBody(c: RequestSource, maxBytes: number): Promise<Buffer> {
  const incoming = nodeIncoming(c);
  return incoming === undefined ? Buffer.from(await (c as Context).req.arrayBuffer()) : readIncoming(incoming, maxBytes);
}

/** A header of the request, read from the Node request when there is one (see app.ts for why). */
export function requestHeader(c: RequestSource, name: string): string | undefined {
  const incoming = nodeIncoming(c);
  if (incoming === undefined) return (c as Context).req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The request's Content-Type, undefined when it has none (or an empty one). */
export function declaredContentType(c: RequestSource): string | undefined {
  const contentType = requestHeader(c, 'content-type');
  return contentType === undefined || contentType.trim() === '' ? undefined : contentType;
}

/** JSON.parse with the 400s of this module; `undeclared` says the request had no Content-Type. */
export function parseJsonText(text: string, undeclared = false): unknown {
  if (text === '') throw new ServingError(400, 'malformed_json', 'the request body is empty; expected a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const prefix = undeclared ? 'the request has no Content-Type and its body is not valid JSON' : 'the request body is not valid JSON';
    throw new ServingError(400, 'malformed_json', `${prefix}: ${(error as Error).message}`);
  }
}

export function unsupportedMediaType(contentType: string): ServingError {
  return new ServingError(415, 'unsupported_media_type', `expected Content-Type: application/json, got ${JSON.stringify(contentType)}`);
}

/** The Node request: the source itself, or under @hono/node-server `env.incoming`; undefined elsewhere. */
export function nodeIncoming(c: RequestSource): IncomingMessage | undefined {
  if (c instanceof IncomingMessage) return c;
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming;
}

/** The Node response under @hono/node-server; headers set on it are merged into the one node-server writes. */
export function nodeOutgoing(c: Context): ServerResponse | undefined {
  const env = c.env as { outgoing?: ServerResponse } | undefined;
  return env?.outgoing;
}

export function payloadTooLarge(maxBytes: number): ServingError {
  return new ServingError(413, 'payload_too_large', `the request body exceeds ${maxBytes} bytes (MAX_BODY_BYTES)`);
}

function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = incoming.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(payloadTooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop buffering; Node discards the rest of the body after the 413 is sent.
        incoming.off('data', onData);
        incoming.off('end', onEnd);
        reject(payloadTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', reject);
  });
}

/** application/json, with or without parameters (charset), and structured suffixes such as application/vnd.x+json. */
export function isJsonMediaType(contentType: string): boolean {
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}
