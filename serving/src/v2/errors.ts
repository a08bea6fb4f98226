/**
 * Errors on the Open Inference Protocol's routes take the protocol's shape, `{"error": "<message>"}`: that is
 * what its clients (tritonclient, KServe's) read and show. The seeds' routes keep `{error: {code, message}}`
 * (errors.ts). The message keeps the field path the seeds' shape has in `field` (`inputs[0].data[3]: …`).
 */

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
