/**
 * Reaching an EKS cluster without the aws CLI or kubectl, against moto's EKS and STS: the kubeconfig is built from
 * DescribeCluster and the token is a presigned STS GetCallerIdentity URL carrying the cluster's name.
 */
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openKubeClient } from '../src/lib/kube/client.js';
import { decodeEksToken, eksToken, TOKEN_PREFIX } from '../src/lib/kube/eks-token.js';
import { describeWithBench, motoEnv } from './support/bench.js';

describeWithBench(['moto'], 'EKS access through moto', () => {
  const saved: Record<string, string | undefined> = {};
  const cluster = `mlp-${Date.now().toString(36)}`;
  let env: Record<string, string>;

  beforeAll(async () => {
    env = motoEnv();
    // The SDK's credential chain reads process.env; set moto's dummy values for this file only.
    for (const [key, value] of Object.entries(env)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    const eks = new EKSClient({ region: 'us-east-1' });
    await eks.send(
      new CreateClusterCommand({
        name: cluster,
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds: ['subnet-1'] },
      }),
    );
    eks.destroy();
  });

  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('signs a token the way aws eks get-token does', async () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const { token, expiresAt } = await eksToken({
      cluster,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      now,
    });
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(token.slice(TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
    const url = decodeEksToken(token);
    expect(url.origin).toBe(env.AWS_ENDPOINT_URL);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261123/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20261123T100000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    });
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(expiresAt.getTime() - now.getTime()).toBe(14 * 60_000);
    // Without an endpoint override it is the regional STS endpoint, as EKS expects.
    const real = decodeEksToken(
      (
        await eksToken({
          cluster,
          region: 'eu-west-1',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          stsEndpoint: 'https://sts.eu-west-1.amazonaws.com',
        })
      ).token,
    );
    expect(real.host).toBe('sts.eu-west-1.amazonaws.com');
  });

  it('builds the kubeconfig from DescribeCluster with an STS-signed token', async () => {
    const access = await openKubeClient(
      {
        deploy: { target: 'eks', timeoutSeconds: 300, rollback: true },
        aws: { region: 'us-east-1' },
        cluster: { name: cluster, namespace: 'ml', scaling: { up: { min: 1, max: 2, desired: 1 }, down: { min: 0, max: 2, desired: 0 } } },
      },
      env,
    );
    expect(access.source).toContain(`EKS cluster ${cluster}`);
    const current = access.kubeConfig.getCurrentCluster()!;
    expect(current.server).toMatch(/^https:\/\//);
    expect(Buffer.from(current.caData!, 'base64').length).toBeGreaterThan(0);
    const token = access.kubeConfig.getCurrentUser()!.token!;
    // moto's server picks the service from the Authorization header, which a presigned URL does not have, so it
    // cannot answer the token's URL; its format is checked above and here.
    expect(decodeEksToken(token).searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
  });

  it('names a cluster that does not exist', async () => {
    await expect(
      openKubeClient(
        {
          deploy: { target: 'eks', timeoutSeconds: 300, rollback: true },
          aws: { region: 'us-east-1' },
          cluster: { name: 'nope', namespace: 'ml', scaling: { up: { min: 1, max: 2, desired: 1 }, down: { min: 0, max: 2, desired: 0 } } },
        },
        env,
      ),
    ).rejects.toThrow('cluster.name: there is no EKS cluster nope in us-east-1.');
  });
});
