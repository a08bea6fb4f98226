import { describe, expect, it } from 'vitest';
import { configSchema, type MlpConfig } from '../config/schema.js';
import { sameRelease, serviceConfigHash } from './release-identity.js';

const base = {
  apiVersion: 'mlp/v1',
  name: 'fraud',
  services: [{ name: 'api', model: { source: 'dir', path: 'model' }, port: 8080 }],
};

function hashOf(service: Record<string, unknown>, aws: Record<string, unknown> = {}): string {
  const config = configSchema.parse({ ...base, aws, services: [{ ...base.services[0], ...service }] }) as MlpConfig;
  return serviceConfigHash(config, config.services[0]!);
}

describe('serviceConfigHash', () => {
  it('changes with env, port, resources, the IAM role and the model source', () => {
    const plain = hashOf({});
    expect(hashOf({ env: { VARIANT: 'a' } })).not.toBe(plain);
    expect(hashOf({ env: { VARIANT: 'a' } })).not.toBe(hashOf({ env: { VARIANT: 'b' } }));
    expect(hashOf({ port: 9090 })).not.toBe(plain);
    expect(hashOf({ resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } })).not.toBe(plain);
    expect(hashOf({ serviceAccount: { roleArn: 'arn:aws:iam::123456789012:role/x' } })).not.toBe(plain);
    expect(hashOf({ model: { source: 'sagemaker', endpoint: 'e1', metadata: 'm.json' } })).not.toBe(
      hashOf({ model: { source: 'sagemaker', endpoint: 'e2', metadata: 'm.json' } }),
    );
  });

  it('does not change with replicas, autoscaling, smoke tests or the order of env keys', () => {
    const plain = hashOf({ env: { A: '1', B: '2' } });
    expect(hashOf({ env: { B: '2', A: '1' } })).toBe(plain);
    expect(hashOf({ env: { A: '1', B: '2' }, replicas: 5 })).toBe(plain);
    expect(hashOf({ env: { A: '1', B: '2' }, autoscaling: { min: 3, max: 9 } })).toBe(plain);
    expect(hashOf({ env: { A: '1', B: '2' }, smoke: [{ path: '/health' }] })).toBe(plain);
  });
});

describe('sameRelease', () => {
  it('needs both the image and the configuration to match', () => {
    const wanted = { image: 'sha256:1', config: 'abc' };
    expect(sameRelease({ image: 'sha256:1', config: 'abc' }, wanted)).toBe(true);
    expect(sameRelease({ image: 'sha256:2', config: 'abc' }, wanted)).toBe(false);
    expect(sameRelease({ image: 'sha256:1', config: 'abd' }, wanted)).toBe(false);
    // A container started before mlp labelled its configuration counts as changed.
    expect(sameRelease({ image: 'sha256:1' }, wanted)).toBe(false);
    expect(sameRelease(undefined, wanted)).toBe(false);
  });
});
