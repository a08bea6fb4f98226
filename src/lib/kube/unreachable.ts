/**
 * Whether a request failed because the API server could not be reached at all (the commands that only read the
 * cluster report that as a prerequisite error): the network code found in the error or its causes, else undefined.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'CERT_HAS_EXPIRED',
]);
/** The same failures as client-node sometimes words them, in the message only. */
const NETWORK_MESSAGE = /\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EAI_AGAIN)\b|socket hang up/;

export function networkFailure(error: unknown): string | undefined {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause && typeof cause === 'object'; depth += 1) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const found = NETWORK_MESSAGE.exec(typeof message === 'string' ? message : '');
    if (found) return found[1] ?? found[0];
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}
