/**
 * The server's configuration, read from the environment once at start-up. An invalid value stops the process
 * with a message naming the variable: a pod that crash-loops with "PORT must be an integer" is quicker to fix
 * than one that listens somewhere unexpected.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const SAGEMAKER_CONTENT_TYPES = ['text/csv', 'application/json'] as const;
export type SageMakerContentType = (typeof SAGEMAKER_CONTENT_TYPES)[number];

export interface SageMakerConfig {
  endpoint: string;
  contentType: SageMakerContentType;
  region: string;
}

export interface ServingConfig {
  /** Holds model.onnx and metadata.json (only metadata.json for SageMaker). */
  modelDir: string;
  port: number;
  host: string;
  logLevel: LogLevel;
  maxBodyBytes: number;
  /** How long in-flight requests may take to finish after SIGTERM before connections are cut. */
  shutdownTimeoutMs: number;
  /** How long to keep accepting requests after SIGTERM (with /ready at 503) so load balancers stop routing first. */
  shutdownDelayMs: number;
  /** Overrides metadata.json's model_name in responses, metrics and the v2 URL. */
  modelName: string | undefined;
  onnxIntraOpThreads: number;
  /** Set when SAGEMAKER_ENDPOINT is: predictions come from that endpoint instead of model.onnx. */
  sagemaker: SageMakerConfig | undefined;
  /**
   * BASE_PATH: the path prefix an Ingress routes to this service by (`/fraud`), which it does not strip (an ALB
   * cannot); every route answers under it as well as at the root (where the kubelet's probes come).
   */
  basePath: string | undefined;
  /** GRPC_PORT: where the Open Inference Protocol's gRPC service listens (0: any free port); unset, it does not. */
  grpcPort: number | undefined;
}

export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export const DEFAULTS = {
  port: 8080,
  host: '0.0.0.0',
  logLevel: 'info',
  maxBodyBytes: 1024 * 1024,
  shutdownTimeoutMs: 10_000,
  shutdownDelayMs: 0,
  onnxIntraOpThreads: 1,
} as const;

export function loadConfig(env: NodeJS.ProcessEnv): ServingConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const modelDir = read('MODEL_DIR');
  const endpoint = read('SAGEMAKER_ENDPOINT');
  if (modelDir === undefined) {
    throw new ConfigError(
      'MODEL_DIR',
      endpoint === undefined
        ? 'not set; point it at the directory holding model.onnx and metadata.json'
        : 'not set; the SageMaker backend still needs metadata.json (feature_names, classes) from MODEL_DIR',
    );
  }

  let sagemaker: SageMakerConfig | undefined;
  if (endpoint !== undefined) {
    const contentType = read('SAGEMAKER_CONTENT_TYPE') ?? 'text/csv';
    if (!(SAGEMAKER_CONTENT_TYPES as readonly string[]).includes(contentType)) {
      throw new ConfigError('SAGEMAKER_CONTENT_TYPE', `must be one of ${SAGEMAKER_CONTENT_TYPES.join(', ')}, got "${contentType}"`);
    }
    const region = read('AWS_REGION') ?? read('AWS_DEFAULT_REGION');
    if (region === undefined) throw new ConfigError('AWS_REGION', "not set; the SageMaker backend needs the endpoint's region");
    sagemaker = { endpoint, contentType: contentType as SageMakerContentType, region };
  } else if (read('SAGEMAKER_CONTENT_TYPE') !== undefined) {
    throw new ConfigError('SAGEMAKER_CONTENT_TYPE', 'set without SAGEMAKER_ENDPOINT');
  }

  const logLevel = read('LOG_LEVEL')?.toLowerCase() ?? DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  return {
    modelDir,
    port: integer(read, 'PORT', DEFAULTS.port, 0, 65_535),
    host: read('HOST') ?? DEFAULTS.host,
    logLevel: logLevel as LogLevel,
    maxBodyBytes: integer(read, 'MAX_BODY_BYTES', DEFAULTS.maxBodyBytes, 1, 1024 ** 3),
    shutdownTimeoutMs: integer(read, 'SHUTDOWN_TIMEOUT_MS', DEFAULTS.shutdownTimeoutMs, 0, 3_600_000),
    shutdownDelayMs: integer(read, 'SHUTDOWN_DELAY_MS', DEFAULTS.shutdownDelayMs, 0, 3_600_000),
    modelName: read('MODEL_NAME'),
    onnxIntraOpThreads: integer(read, 'ONNX_INTRA_OP_THREADS', DEFAULTS.onnxIntraOpThreads, 0, 256),
    sagemaker,
    basePath: basePath(read('BASE_PATH')),
    grpcPort: read('GRPC_PORT') === undefined ? undefined : integer(read, 'GRPC_PORT', 0, 0, 65_535),
  };
}

function basePath(text: string | undefined): string | undefined {
  if (text === undefined || text === '/') return undefined;
  if (!/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(text)) {
    throw new ConfigError(
      'BASE_PATH',
      `must be a URL path such as /fraud (segments of letters, digits, ".", "_", "~" and "-"), got "${text}"`,
    );
  }
  return text.replace(/\/$/, '');
}

function integer(read: (name: string) => string | undefined, name: string, fallback: number, min: number, max: number): number {
  const text = read(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
