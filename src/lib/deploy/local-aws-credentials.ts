/**
 * AWS credentials for a SageMaker-backed service on the local target. The container gets short-lived keys, never
 * the long-lived ones mlp runs with: keys that already carry a session token (an assumed role, SSO, a GitHub
 * Actions OIDC session) are passed as they are; plain access keys are exchanged for an STS GetSessionToken
 * session first. They reach the container only through the env file local.ts writes (0600, deleted once the
 * container is created), never argv; the session's expiry is a container label, so the next deploy replaces a
 * container whose keys are about to run out.
 */
import { awsClientConfig, awsCredentials, resolveRegion, toMlpError, type AwsEnv } from '../aws.js';
import { MlpError } from '../errors.js';

export interface ContainerAwsCredentials {
  env: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string; AWS_SESSION_TOKEN: string };
  /** When the keys stop working; undefined when the provider did not say (they are then treated as fresh). */
  expiresAt: Date | undefined;
  source: 'session' | 'sts:GetSessionToken';
}

/** How long a session asked of STS lasts: a working day of local runs (STS allows 15 minutes to 36 hours). */
const SESSION_SECONDS = 12 * 3600;
/** A container whose keys expire sooner than this is replaced on the next deploy. */
export const RENEW_BEFORE_MS = 15 * 60 * 1000;

export async function containerAwsCredentials(env: AwsEnv, region: string, signal: AbortSignal): Promise<ContainerAwsCredentials> {
  const provider = await awsCredentials(env);
  let identity;
  try {
    identity = typeof provider === 'function' ? await provider() : provider;
  } catch (error) {
    throw new MlpError('aws', 'No AWS credentials to give the SageMaker-backed services on this machine.', {
      details: [(error as Error).message],
      hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for mlp; it passes the containers a short-lived session, never these keys',
    });
  }
  if (identity.sessionToken) {
    return {
      env: {
        AWS_ACCESS_KEY_ID: identity.accessKeyId,
        AWS_SECRET_ACCESS_KEY: identity.secretAccessKey,
        AWS_SESSION_TOKEN: identity.sessionToken,
      },
      expiresAt: identity.expiration,
      source: 'session',
    };
  }
  const { STSClient, GetSessionTokenCommand } = await import('@aws-sdk/client-sts');
  const client = new STSClient({ ...awsClientConfig('sts', { region, env }), credentials: identity });
  try {
    const out = await client.send(new GetSessionTokenCommand({ DurationSeconds: SESSION_SECONDS }), { abortSignal: signal });
    const issued = out.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.SessionToken) {
      throw new MlpError('aws', 'STS GetSessionToken returned no credentials.');
    }
    return {
      env: { AWS_ACCESS_KEY_ID: issued.AccessKeyId, AWS_SECRET_ACCESS_KEY: issued.SecretAccessKey, AWS_SESSION_TOKEN: issued.SessionToken },
      expiresAt: issued.Expiration,
      source: 'sts:GetSessionToken',
    };
  } catch (error) {
    throw toMlpError(error, {
      service: 'sts',
      operation: 'STS GetSessionToken',
      region: resolveRegion({ region, env }),
      action: 'sts:GetSessionToken',
      env,
    });
  } finally {
    client.destroy();
  }
}

/** Whether a container started with keys that expire at `label` (ISO time) needs new ones now. */
export function credentialsRunningOut(label: string | undefined, now = Date.now()): boolean {
  if (label === undefined) return false;
  const expires = Date.parse(label);
  return Number.isNaN(expires) || expires - now < RENEW_BEFORE_MS;
}
