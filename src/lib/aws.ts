/**
 * The only place in mlp that constructs AWS SDK clients. Endpoints and credentials are never passed
 * explicitly: the SDK's default chain resolves them (AWS_PROFILE, AWS_ACCESS_KEY_ID/…, SSO, web identity,
 * instance metadata) and honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, which is how the test
 * bench points mlp at moto. SDK modules are loaded with a dynamic import so `mlp --help` never pays for them.
 */
import { MlpError } from './errors.js';
import { MLP_VERSION } from './package-root.js';

/**
 * The SDK warns on every run under Node 20 that its releases after January 2027 will need Node 22. mlp pins the
 * SDK and supports Node 20, so the warning only alarms users; it stays on when they set the variable themselves.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface AwsOptions {
  /** Overrides AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** Aborts in-flight requests; passed to each `client.send`, not part of the client config. */
  signal?: AbortSignal;
}

export interface AwsClientConfig {
  region?: string;
  maxAttempts: number;
  customUserAgent: string;
}

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

export const CREDENTIALS_HINT =
  'set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; on GitHub Actions use aws-actions/configure-aws-credentials';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The region mlp uses: the explicit option, then AWS_REGION, then AWS_DEFAULT_REGION (the SDK alone ignores the latter). */
export function resolveRegion(opts: AwsOptions = {}): string | undefined {
  return nonEmpty(opts.region) ?? nonEmpty(process.env.AWS_REGION) ?? nonEmpty(process.env.AWS_DEFAULT_REGION);
}

/**
 * Shared configuration for every AWS SDK client mlp builds. When no region is known it is left out, so
 * the SDK can still take it from the profile in ~/.aws/config.
 */
export function awsClientConfig(opts: AwsOptions = {}): AwsClientConfig {
  const region = resolveRegion(opts);
  return {
    ...(region === undefined ? {} : { region }),
    maxAttempts: 3,
    customUserAgent: `mlp/${MLP_VERSION}`,
  };
}

/** Who the default credential chain says we are (STS GetCallerIdentity). */
export async function callerIdentity(opts: AwsOptions = {}): Promise<CallerIdentity> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const client = new STSClient(awsClientConfig(opts));
  try {
    const out = await client.send(new GetCallerIdentityCommand({}), opts.signal ? { abortSignal: opts.signal } : {});
    if (!out.Account || !out.Arn || !out.UserId) {
      throw new MlpError('aws', 'STS GetCallerIdentity returned an incomplete identity.');
    }
    return { account: out.Account, arn: out.Arn, userId: out.UserId };
  } catch (error) {
    throw toMlpError(error, { service: 'sts', operation: 'STS GetCallerIdentity', region: resolveRegion(opts) });
  } finally {
    client.destroy();
  }
}

const CREDENTIAL_ERROR_NAMES = new Set([
  'CredentialsProviderError',
  'TokenProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'AuthFailure',
  'AccessDenied',
  'AccessDeniedException',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The error and everything reachable through `cause` / AggregateError `errors` (bounded). */
function errorChain(error: unknown): ErrorLike[] {
  const seen: ErrorLike[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.length < 10) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || seen.includes(next as ErrorLike)) continue;
    const e = next as ErrorLike;
    seen.push(e);
    if (e.cause !== undefined) queue.push(e.cause);
    if (Array.isArray(e.errors)) queue.push(...(e.errors as unknown[]));
  }
  return seen;
}

/** Strip anything that looks like an access key id or a secret from an SDK message before showing it. */
function redact(message: string): string {
  return message
    .replace(/\b(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g, '$1…')
    .replace(/\b[A-Za-z0-9/+=]{40}\b/g, '[redacted]');
}

function httpStatus(error: ErrorLike): number | undefined {
  const e = error as { $metadata?: { httpStatusCode?: unknown }; $response?: { statusCode?: unknown } };
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Where requests to `service` go, for messages: the configured endpoint override, else the public one. */
export function describeEndpoint(service: string, region: string | undefined): string {
  const specific = nonEmpty(process.env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`]);
  const general = nonEmpty(process.env.AWS_ENDPOINT_URL);
  if (specific) return `${specific} (from AWS_ENDPOINT_URL_${service.toUpperCase()})`;
  if (general) return `${general} (from AWS_ENDPOINT_URL)`;
  return `https://${service}.${region ?? '<region>'}.amazonaws.com`;
}

/**
 * Map an AWS SDK failure to an {@link MlpError}: credential problems → 'credentials', an endpoint that
 * cannot be reached → 'prerequisite', anything else → 'aws'. Abort errors and MlpErrors pass through.
 * Messages never carry credential values.
 */
export function toMlpError(
  error: unknown,
  ctx: { service: string; operation: string; region?: string | undefined; /** The IAM action the call needs, e.g. ecr:CreateRepository. */ action?: string },
): unknown {
  if (error instanceof MlpError) return error;
  const chain = errorChain(error);
  const top = chain[0];
  if (top && str(top.name) === 'AbortError') return error;

  // Access denied is a missing permission, not bad credentials: name the action so it can be granted.
  // An HTTP 403 whose body the SDK could not parse is a denial too (proxies and emulators answer in XML).
  const denied = chain.find((e) => ['AccessDenied', 'AccessDeniedException'].includes(str(e.name) ?? str(e.code) ?? '') || httpStatus(e) === 403);
  if (denied) {
    const said = str((denied as { $responseBodyText?: unknown }).$responseBodyText) ?? str(denied.message) ?? '';
    const action = ctx.action ?? /perform: ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(said)?.[1];
    return new MlpError('credentials', `${ctx.operation} was denied: the caller lacks the IAM permission ${action ?? `for ${ctx.operation}`}.`, {
      hint: action
        ? `grant ${action} to the role or user mlp runs as (aws sts get-caller-identity shows which), then run mlp again`
        : CREDENTIALS_HINT,
      details: [redact(/User: [^<"]*/.exec(said)?.[0] ?? str(denied.message) ?? '')].filter(Boolean),
      cause: error,
    });
  }

  for (const e of chain) {
    const name = str(e.name);
    const code = str(e.code);
    if ((name && CREDENTIAL_ERROR_NAMES.has(name)) || (code && CREDENTIAL_ERROR_NAMES.has(code))) {
      const what = name === 'CredentialsProviderError' || name === 'TokenProviderError'
        ? 'no usable AWS credentials were found'
        : `AWS rejected the credentials (${name ?? code})`;
      return new MlpError('credentials', `${ctx.operation} failed: ${what}.`, { hint: CREDENTIALS_HINT, cause: error });
    }
  }

  for (const e of chain) {
    const code = str(e.code);
    const name = str(e.name);
    if ((code && NETWORK_ERROR_CODES.has(code)) || name === 'TimeoutError') {
      const endpoint = describeEndpoint(ctx.service, ctx.region);
      return new MlpError('prerequisite', `${ctx.operation} failed: cannot reach ${endpoint} (${code ?? name}).`, {
        hint: 'check the network, proxy settings and AWS_ENDPOINT_URL; for the local test bench run: bash test/bench/up.sh',
        cause: error,
      });
    }
  }

  const message = top ? str(top.message) : undefined;
  if (message && /region is missing/i.test(message)) {
    return new MlpError('config', `${ctx.operation} failed: no AWS region is configured.`, {
      hint: 'set AWS_REGION (or AWS_DEFAULT_REGION), or a region in your AWS profile',
      cause: error,
    });
  }
  const name = top ? str(top.name) : undefined;
  return new MlpError('aws', `${ctx.operation} failed: ${name ? `${name}: ` : ''}${redact(message ?? String(error))}`, {
    cause: error,
  });
}

/** An ECR client on the default chain; the caller destroys it. */
export async function ecrClient(opts: AwsOptions = {}) {
  const { ECRClient } = await import('@aws-sdk/client-ecr');
  return new ECRClient(awsClientConfig(opts));
}

/** An EKS client on the default chain; the caller destroys it. */
export async function eksClient(opts: AwsOptions = {}) {
  const { EKSClient } = await import('@aws-sdk/client-eks');
  return new EKSClient(awsClientConfig(opts));
}

/**
 * An S3 client on the default chain; the caller destroys it. Path-style requests when an endpoint override is set
 * (moto, MinIO, a VPC endpoint by IP): their hosts have no per-bucket DNS names.
 */
export async function s3Client(opts: AwsOptions = {}) {
  const { S3Client } = await import('@aws-sdk/client-s3');
  const overridden = nonEmpty(process.env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(process.env.AWS_ENDPOINT_URL);
  return new S3Client({ ...awsClientConfig(opts), ...(overridden ? { forcePathStyle: true } : {}) });
}
