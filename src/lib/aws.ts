/**
 * The only place in mlp that constructs AWS SDK clients, and the only reader of the environment for AWS settings:
 * region (AWS_REGION, then AWS_DEFAULT_REGION), endpoint (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL —
 * how the test bench points mlp at moto), profile (AWS_PROFILE) and static keys (AWS_ACCESS_KEY_ID/…). They are
 * read from the command's environment (CliIo.env, passed as `env`) and handed to each client explicitly, so a CLI
 * run in-process with its own environment talks to the AWS it names. Without `env`, process.env (what bin/mlp
 * passes anyway). Credentials not in that environment come from the SDK's default chain (profile files, SSO, web
 * identity, instance metadata), which reads its own files and variables from process.env.
 * SDK modules are loaded with a dynamic import so `mlp --help` never pays for them.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { MlpError } from './errors.js';
import { MLP_VERSION } from './package-root.js';

/**
 * The SDK warns on every run under Node 20 that its releases after January 2027 will need Node 22. mlp pins the
 * SDK and supports Node 20, so the warning only alarms users; it stays on when they set the variable themselves.
 * The SDK reads it from process.env, whatever environment the command was given.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The variables AWS settings are read from (CliIo.env). */
export type AwsEnv = Readonly<Record<string, string | undefined>>;

export interface AwsOptions {
  /** Overrides AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string | undefined;
  /** Aborts in-flight requests; passed to each `client.send`, not part of the client config. */
  signal?: AbortSignal | undefined;
  /** The command's environment (CliIo.env); default process.env. */
  env?: AwsEnv | undefined;
}

/** The AWS services mlp calls, by the name the SDK gives their endpoint variable (AWS_ENDPOINT_URL_<name>). */
export type AwsService = 'ecr' | 'eks' | 's3' | 'sts' | 'sagemaker' | 'sagemaker_runtime';

export interface AwsClientConfig {
  region?: string;
  endpoint?: string;
  profile?: string;
  credentials?: AwsCredentialIdentity;
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
  const env = opts.env ?? process.env;
  return nonEmpty(opts.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
}

/** The endpoint override for `service` and the variable it came from, as the SDK resolves it; undefined for AWS's own. */
export function endpointOverride(service: string, env: AwsEnv = process.env): { url: string; variable: string } | undefined {
  if (nonEmpty(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)?.toLowerCase() === 'true') return undefined;
  for (const variable of [`AWS_ENDPOINT_URL_${service.toUpperCase()}`, 'AWS_ENDPOINT_URL']) {
    const url = nonEmpty(env[variable]);
    if (url) return { url, variable };
  }
  return undefined;
}

/** The STS endpoint an EKS token is presigned for: the override, else the regional one (which EKS expects). */
export function stsEndpoint(region: string, env: AwsEnv = process.env): string {
  return endpointOverride('sts', env)?.url ?? `https://sts.${region}.amazonaws.com`;
}

/** Keys set in the environment, as the SDK's fromEnv reads them; undefined when a profile is named (it wins). */
function environmentCredentials(env: AwsEnv): AwsCredentialIdentity | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (nonEmpty(env.AWS_PROFILE) || !accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN;
  const expiration = env.AWS_CREDENTIAL_EXPIRATION;
  const credentialScope = env.AWS_CREDENTIAL_SCOPE;
  const accountId = env.AWS_ACCOUNT_ID;
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
    ...(credentialScope ? { credentialScope } : {}),
    ...(accountId ? { accountId } : {}),
  };
}

/**
 * The credentials mlp signs with outside an SDK client (the EKS token): keys from the environment, else the SDK's
 * default chain for AWS_PROFILE.
 */
export async function awsCredentials(env: AwsEnv = process.env): Promise<AwsCredentialIdentity | AwsCredentialIdentityProvider> {
  const fromEnvironment = environmentCredentials(env);
  if (fromEnvironment) return fromEnvironment;
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const profile = nonEmpty(env.AWS_PROFILE);
  return defaultProvider(profile ? { profile } : {});
}

/**
 * Shared configuration for every AWS SDK client mlp builds, from the command's environment. What it does not set
 * the SDK resolves itself: no region → the profile's in ~/.aws/config; no keys → its default credential chain.
 */
export function awsClientConfig(service: AwsService, opts: AwsOptions = {}): AwsClientConfig {
  const env = opts.env ?? process.env;
  const region = resolveRegion(opts);
  const endpoint = endpointOverride(service, env)?.url;
  const profile = nonEmpty(env.AWS_PROFILE);
  const credentials = environmentCredentials(env);
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(profile === undefined ? {} : { profile }),
    ...(credentials === undefined ? {} : { credentials }),
    maxAttempts: 3,
    customUserAgent: `mlp/${MLP_VERSION}`,
  };
}

/** Who the default credential chain says we are (STS GetCallerIdentity). */
export async function callerIdentity(opts: AwsOptions = {}): Promise<CallerIdentity> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const client = new STSClient(awsClientConfig('sts', opts));
  try {
    const out = await client.send(new GetCallerIdentityCommand({}), opts.signal ? { abortSignal: opts.signal } : {});
    if (!out.Account || !out.Arn || !out.UserId) {
      throw new MlpError('aws', 'STS GetCallerIdentity returned an incomplete identity.');
    }
    return { account: out.Account, arn: out.Arn, userId: out.UserId };
  } catch (error) {
    throw toMlpError(error, { service: 'sts', operation: 'STS GetCallerIdentity', region: resolveRegion(opts), env: opts.env });
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
  return message.replace(/\b(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g, '$1…').replace(/\b[A-Za-z0-9/+=]{40}\b/g, '[redacted]');
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
export function describeEndpoint(service: string, region: string | undefined, env: AwsEnv = process.env): string {
  const override = endpointOverride(service, env);
  if (override) return `${override.url} (from ${override.variable})`;
  return `https://${service}.${region ?? '<region>'}.amazonaws.com`;
}

/**
 * Map an AWS SDK failure to an {@link MlpError}: credential problems → 'credentials', an endpoint that
 * cannot be reached → 'prerequisite', anything else → 'aws'. Abort errors and MlpErrors pass through.
 * Messages never carry credential values.
 */
export function toMlpError(
  error: unknown,
  ctx: {
    service: string;
    operation: string;
    region?: string | undefined;
    /** The IAM action the call needs, e.g. ecr:CreateRepository. */
    action?: string;
    /** The environment the client was built from (for the endpoint it names); default process.env. */
    env?: AwsEnv | undefined;
  },
): unknown {
  if (error instanceof MlpError) return error;
  const chain = errorChain(error);
  const top = chain[0];
  if (top && str(top.name) === 'AbortError') return error;

  // Access denied is a missing permission, not bad credentials: name the action so it can be granted.
  // An HTTP 403 whose body the SDK could not parse is a denial too (proxies and emulators answer in XML).
  const denied = chain.find(
    (e) => ['AccessDenied', 'AccessDeniedException'].includes(str(e.name) ?? str(e.code) ?? '') || httpStatus(e) === 403,
  );
  if (denied) {
    const said = str((denied as { $responseBodyText?: unknown }).$responseBodyText) ?? str(denied.message) ?? '';
    const action = ctx.action ?? /perform: ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(said)?.[1];
    return new MlpError(
      'credentials',
      `${ctx.operation} was denied: the caller lacks the IAM permission ${action ?? `for ${ctx.operation}`}.`,
      {
        hint: action
          ? `grant ${action} to the role or user mlp runs as (aws sts get-caller-identity shows which), then run mlp again`
          : CREDENTIALS_HINT,
        details: [redact(/User: [^<"]*/.exec(said)?.[0] ?? str(denied.message) ?? '')].filter(Boolean),
        cause: error,
      },
    );
  }

  for (const e of chain) {
    const name = str(e.name);
    const code = str(e.code);
    if ((name && CREDENTIAL_ERROR_NAMES.has(name)) || (code && CREDENTIAL_ERROR_NAMES.has(code))) {
      const what =
        name === 'CredentialsProviderError' || name === 'TokenProviderError'
          ? 'no usable AWS credentials were found'
          : `AWS rejected the credentials (${name ?? code})`;
      return new MlpError('credentials', `${ctx.operation} failed: ${what}.`, { hint: CREDENTIALS_HINT, cause: error });
    }
  }

  for (const e of chain) {
    const code = str(e.code);
    const name = str(e.name);
    if ((code && NETWORK_ERROR_CODES.has(code)) || name === 'TimeoutError') {
      const endpoint = describeEndpoint(ctx.service, ctx.region, ctx.env);
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

/** An ECR client configured by awsClientConfig; the caller destroys it. */
export async function ecrClient(opts: AwsOptions = {}) {
  const { ECRClient } = await import('@aws-sdk/client-ecr');
  return new ECRClient(awsClientConfig('ecr', opts));
}

/** An EKS client configured by awsClientConfig; the caller destroys it. */
export async function eksClient(opts: AwsOptions = {}) {
  const { EKSClient } = await import('@aws-sdk/client-eks');
  return new EKSClient(awsClientConfig('eks', opts));
}

/**
 * An S3 client configured by awsClientConfig; the caller destroys it. Path-style requests when an endpoint override is set
 * (moto, MinIO, a VPC endpoint by IP): their hosts have no per-bucket DNS names.
 */
export async function s3Client(opts: AwsOptions = {}) {
  const { S3Client } = await import('@aws-sdk/client-s3');
  const overridden = endpointOverride('s3', opts.env ?? process.env) !== undefined;
  return new S3Client({ ...awsClientConfig('s3', opts), ...(overridden ? { forcePathStyle: true } : {}) });
}

/** A SageMaker client (DescribeEndpoint: mlp debug sagemaker) configured by awsClientConfig; the caller destroys it. */
export async function sagemakerClient(opts: AwsOptions = {}) {
  const { SageMakerClient } = await import('@aws-sdk/client-sagemaker');
  return new SageMakerClient(awsClientConfig('sagemaker', opts));
}

/**
 * A SageMaker Runtime client (InvokeEndpoint: mlp debug sagemaker) configured by awsClientConfig; the caller destroys
 * it. Its endpoint variable is AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, as the SDK names it, then AWS_ENDPOINT_URL.
 * `overrides.maxAttempts`: a probe that must see a throttling answer rather than retry past it sends one attempt.
 */
export async function sagemakerRuntimeClient(opts: AwsOptions = {}, overrides: { maxAttempts?: number } = {}) {
  const { SageMakerRuntimeClient } = await import('@aws-sdk/client-sagemaker-runtime');
  return new SageMakerRuntimeClient({ ...awsClientConfig('sagemaker_runtime', opts), ...overrides });
}
