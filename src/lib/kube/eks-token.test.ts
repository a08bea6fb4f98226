import { describe, expect, it } from 'vitest';
import { decodeEksToken, eksToken, TOKEN_PREFIX } from './eks-token.js';

describe('eksToken: a presigned STS GetCallerIdentity URL, from the command’s environment', () => {
  const now = new Date('2026-12-02T10:00:00Z');

  it('signs with the environment’s keys for its STS endpoint, not process.env', async () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL: 'http://127.0.0.1:5055' };
    const { token, expiresAt } = await eksToken({ cluster: 'ml-platform', region: 'eu-west-1', env, now });
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    const url = decodeEksToken(token);
    expect(url.origin).toBe('http://127.0.0.1:5055');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDFROMENV/20261202/eu-west-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(expiresAt.getTime() - now.getTime()).toBe(14 * 60_000);
  });

  it('is for the regional STS endpoint without an override', async () => {
    const { token } = await eksToken({
      cluster: 'ml-platform',
      region: 'eu-west-1',
      env: { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' },
      now,
    });
    expect(decodeEksToken(token).host).toBe('sts.eu-west-1.amazonaws.com');
  });
});
