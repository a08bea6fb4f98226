/**
 * X-Request-Id: taken from the caller when it is a safe token (it ends up in log lines and response headers,
 * so no spaces, quotes or control characters, and a bounded length), generated otherwise.
 */
import { randomUUID } from 'node:crypto';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}
