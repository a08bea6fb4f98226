/**
 * An EKS bearer token, made the way `aws eks get-token` makes it: a presigned STS GetCallerIdentity URL carrying
 * the header `x-k8s-aws-id: <cluster>`, valid 60 seconds, base64url-encoded behind `k8s-aws-v1.`. The cluster's
 * authenticator calls that URL to learn who we are; neither the aws CLI nor kubectl is needed.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { awsCredentials, stsEndpoint, type AwsEnv } from '../aws.js';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
/** What EKS accepts (the authenticator rejects longer presigned URLs). */
const EXPIRES_SECONDS = 60;

export interface EksTokenRequest {
  cluster: string;
  region: string;
  /** The STS endpoint to presign for; default aws.ts's stsEndpoint (the regional one, or the endpoint override). */
  stsEndpoint?: string;
  /** Default aws.ts's awsCredentials (the command's environment, then the SDK's default chain). */
  credentials?: AwsCredentialIdentity;
  /** Where the AWS_* settings come from: the command's environment; default process.env (see aws.ts). */
  env?: AwsEnv;
  now?: Date;
}

export interface EksToken {
  token: string;
  /** When the token stops working (EKS allows 15 minutes from signing; mlp refreshes well before). */
  expiresAt: Date;
}

export async function eksToken(request: EksTokenRequest): Promise<EksToken> {
  const endpoint = new URL(request.stsEndpoint ?? stsEndpoint(request.region, request.env));
  const signer = new SignatureV4({
    service: 'sts',
    region: request.region,
    credentials: request.credentials ?? (await awsCredentials(request.env)),
    sha256: Hash.bind(null, 'sha256'),
  });
  const now = request.now ?? new Date();
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname.endsWith('/') ? endpoint.pathname : `${endpoint.pathname}/`,
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: endpoint.host, 'x-k8s-aws-id': request.cluster },
    },
    { expiresIn: EXPIRES_SECONDS, signingDate: now },
  );
  const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
  const url = `${endpoint.protocol}//${endpoint.host}${presigned.path}?${query}`;
  return {
    token: TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    // EKS honours a token for 15 minutes after signing; 14 leaves a margin for clock skew.
    expiresAt: new Date(now.getTime() + 14 * 60_000),
  };
}

/** The presigned URL inside a token (for checks and diagnostics; the token itself is a credential). */
export function decodeEksToken(token: string): URL {
  if (!token.startsWith(TOKEN_PREFIX)) throw new Error(`not an EKS token (no ${TOKEN_PREFIX} prefix)`);
  return new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}
