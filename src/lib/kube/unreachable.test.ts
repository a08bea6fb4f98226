import { describe, expect, it } from 'vitest';
import { networkFailure } from './unreachable.js';

describe('networkFailure: an API server that cannot be reached at all', () => {
  it('finds the network code on the error, on a cause, or in a message', () => {
    expect(networkFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(networkFailure(new Error('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) }))).toBe('ENOTFOUND');
    expect(networkFailure(new Error('request to https://127.0.0.1:1/api failed, reason: connect ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(networkFailure(new Error('socket hang up'))).toBe('socket hang up');
  });

  it('is undefined for what the server answered', () => {
    expect(networkFailure(Object.assign(new Error('HTTP-Code: 403'), { code: 403 }))).toBeUndefined();
    expect(networkFailure(new Error('deployments.apps "api" not found'))).toBeUndefined();
    expect(networkFailure(undefined)).toBeUndefined();
  });
});
