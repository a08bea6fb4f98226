/**
 * The serving app's error model: every answer that is not a 2xx carries `{error: {code, message, field?}}`
 * (on the Open Inference Protocol's routes, the protocol's `{error: message}`: v2/errors.ts). Handlers throw a
 * {@link ServingError}; `app.onError` turns it into that body. Anything else is a bug and becomes a logged 500
 * whose body never carries a stack.
 */

export type ErrorStatus = 400 | 404 | 405 | 413 | 415 | 422 | 500 | 502 | 503;

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** An expected failure with the HTTP status and machine-readable code a client can act on. */
export class ServingError extends Error {
  readonly status: ErrorStatus;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: ErrorStatus, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ServingError';
    this.status = status;
    this.code = code;
    this.field = field;
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.field);
  }
}

export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return field === undefined ? { error: { code, message } } : { error: { code, message, field } };
}

/** 422 for a request that parsed as JSON but does not fit the model: the field path says where. */
export function invalidField(field: string, message: string): ServingError {
  return new ServingError(422, 'invalid_input', `${field}: ${message}`, field);
}

/** The backend (SageMaker endpoint) answered with an error: 502 says "the server behind me failed". */
export class BackendError extends ServingError {
  constructor(message: string) {
    super(502, 'backend_error', message);
    this.name = 'BackendError';
  }
}

/** The backend could not be reached or is not ready: 503 says "try again later". */
export class BackendUnavailableError extends ServingError {
  constructor(message: string) {
    super(503, 'backend_unavailable', message);
    this.name = 'BackendUnavailableError';
  }
}

/**
 * The methods a path answers, from the app's routes: a request no route matched but whose path is known gets 405
 * with these in `Allow` rather than 404. The patterns are compiled on the first call, once every route is added.
 */
export function allowedMethodsOf(routes: readonly { method: string; path: string }[]): (path: string) => string[] {
  let patterns: { pattern: RegExp; method: string }[] | undefined;
  return (path) => {
    patterns ??= routes
      .filter((route) => route.method !== 'ALL' && !route.path.includes('*'))
      .map((route) => ({ pattern: routePattern(route.path), method: route.method }));
    const methods = new Set<string>();
    for (const { pattern, method } of patterns) {
      if (!pattern.test(path)) continue;
      methods.add(method);
      // Hono answers HEAD with the GET route.
      if (method === 'GET') methods.add('HEAD');
    }
    return [...methods];
  };
}

/** `/v2/models/:name/ready` → a regular expression matching `/v2/models/<one segment>/ready`. */
function routePattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}
