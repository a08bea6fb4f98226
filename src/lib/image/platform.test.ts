import { describe, expect, it } from 'vitest';
import { MlpError } from '../errors.js';
import { nodegroupPlatform, requireMatchingPlatform } from './platform.js';

describe('nodegroupPlatform', () => {
  it('reads the AMI type first', () => {
    expect(nodegroupPlatform({ name: 'a', amiType: 'AL2_ARM_64', instanceTypes: ['m5.large'] })).toBe('linux/arm64');
    expect(nodegroupPlatform({ name: 'a', amiType: 'AL2023_ARM_64_STANDARD' })).toBe('linux/arm64');
    expect(nodegroupPlatform({ name: 'a', amiType: 'BOTTLEROCKET_x86_64' })).toBe('linux/amd64');
    expect(nodegroupPlatform({ name: 'a', amiType: 'AL2_x86_64_GPU' })).toBe('linux/amd64');
  });

  it('falls back to the instance types (Graviton families have a g after the generation)', () => {
    expect(nodegroupPlatform({ name: 'a', amiType: 'CUSTOM', instanceTypes: ['m6g.large', 'c7gn.xlarge', 't4g.small'] })).toBe(
      'linux/arm64',
    );
    expect(nodegroupPlatform({ name: 'a', instanceTypes: ['m5.large', 'g5.xlarge', 'c6i.large'] })).toBe('linux/amd64');
    expect(nodegroupPlatform({ name: 'a', instanceTypes: ['m5.large', 'm6g.large'] })).toBeUndefined();
    expect(nodegroupPlatform({ name: 'a', amiType: 'CUSTOM' })).toBeUndefined();
  });
});

describe('requireMatchingPlatform', () => {
  it('refuses an image for other nodes, naming the fix', () => {
    expect(() => requireMatchingPlatform('api', 'linux/amd64', { platform: 'linux/amd64', source: 'x' })).not.toThrow();
    const error = (() => {
      try {
        requireMatchingPlatform('api', 'linux/arm64', { platform: 'linux/amd64', source: 'nodegroup ng (AL2_x86_64)' });
      } catch (caught) {
        return caught as MlpError;
      }
    })();
    expect(error?.exitCode).toBe(20);
    expect(error?.message).toContain('exec format error');
    expect(error?.hint).toBe('rebuild it with: mlp build --service api --platform linux/amd64');
  });
});
