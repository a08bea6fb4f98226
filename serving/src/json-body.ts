/**
 * Reads a request body as JSON with the error statuses clients can act on: 415 for a body that is not declared
 * as JSON, 413 for one over MAX_BODY_BYTES, 400 for one that does not parse.
 *
 * Under @hono/node-server the body is read straight from the Node IncomingMessage. `c.req.text()` would first
 * build a full undici Request (an AbortController, a Headers copy, a web ReadableStream over the socket), which
 * profiling showed to cost more than the prediction; the same goes for hono's bodyLimit, which touches
 * `c.req.raw.body`. So the limit is enforced here, from Content-Length before reading and by counting bytes
 * while reading; app.ts applies hono's bodyLimit only where there is no IncomingMessage (`app.request()`,
 * other runtimes). Both paths answer 413 with the same body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { ServingError } from './errors.js';

export async function readJsonBody(c: Context, maxBytes: number): Promise<unknown> {
  const incoming = nodeIncoming(c);
  const contentType = incoming === undefined ? c.req.header('content-type') : incoming.headers['content-type'];
  if (contentType === undefined || !isJsonMediaType(contentType)) {
    throw new ServingError(
      415,
      'unsupported_media_type',
      `expected Content-Type: application/json, got ${contentType === undefined ? 'none' : JSON.stringify(contentType)}`,
    );
  }
  const text = incoming === undefined ? await c.req.text() : await readIncoming(incoming, maxBytes);
  if (text === '') throw new ServingError(400, 'malformed_json', 'the request body is empty; expected a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ServingError(400, 'malformed_json', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** The Node request under @hono/node-server (passed as `env.incoming`), undefined elsewhere. */
export function nodeIncoming(c: Context): IncomingMessage | undefined {
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

function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<string> {
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
      resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
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
