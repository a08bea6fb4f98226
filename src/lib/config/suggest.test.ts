import { describe, expect, it } from 'vitest';
import { closest, didYouMean } from './suggest.js';

describe('did you mean', () => {
  it('suggests the intended name for a swapped pair of letters', () => {
    expect(closest('taregt', ['target', 'timeoutSeconds', 'rollback'])).toBe('target');
  });

  it('suggests close names, ignoring case, and shortened ones', () => {
    expect(closest('replica', ['replicas', 'resources', 'port'])).toBe('replicas');
    expect(closest('TargetCpu', ['targetCPU', 'targetMemory'])).toBe('targetCPU');
    expect(closest('timeout', ['target', 'timeoutSeconds', 'rollback'])).toBe('timeoutSeconds');
  });

  it('suggests nothing when no name is close', () => {
    expect(closest('colour', ['replicas', 'port'])).toBeUndefined();
    expect(didYouMean('prod', ['dev', 'eks'])).toBe('');
    expect(didYouMean('eksx', ['dev', 'eks'])).toBe('; did you mean "eks"?');
  });
});
