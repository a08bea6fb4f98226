import { describe, expect, it } from 'vitest';
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from './quantities.js';

describe('cpuMillis: CPU quantities in millicores', () => {
  it('reads millicores and cores, fractional or whole', () => {
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('0.5')).toBe(500);
    expect(cpuMillis('2')).toBe(2000);
    expect(cpuMillis('1.25')).toBe(1250);
  });

  it('rounds up to whole millicores, as Kubernetes does', () => {
    expect(cpuMillis('0.0001')).toBe(1);
    expect(cpuMillis('1.5m')).toBe(2);
  });
});

describe('memoryBytes: memory quantities in bytes', () => {
  it('reads binary and decimal suffixes', () => {
    expect(memoryBytes('512Mi')).toBe(512 * 2 ** 20);
    expect(memoryBytes('1Gi')).toBe(2 ** 30);
    expect(memoryBytes('64Ki')).toBe(64 * 1024);
    expect(memoryBytes('1G')).toBe(1e9);
    expect(memoryBytes('128M')).toBe(128e6);
    expect(memoryBytes('1k')).toBe(1000);
    expect(memoryBytes('2Ti')).toBe(2 * 2 ** 40);
  });

  it('reads plain bytes, fractions and exponents', () => {
    expect(memoryBytes('1048576')).toBe(2 ** 20);
    expect(memoryBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(memoryBytes('1e9')).toBe(1e9);
    expect(memoryBytes('5E3')).toBe(5000);
  });

  it('rounds a fraction of a byte up', () => {
    expect(memoryBytes('0.5')).toBe(1);
  });

  it('refuses what is not a memory quantity, naming it', () => {
    for (const bad of ['', 'Mi', '12x', '1mi', '1m', '-1Gi', '1 Gi', '1Gb'])
      expect(() => memoryBytes(bad), bad).toThrow(`not a memory quantity: ${bad}`);
  });
});

describe('formatCpu and formatMemory: sums written back for a ResourceQuota', () => {
  it('writes whole cores without a suffix and the rest in millicores', () => {
    expect(formatCpu(2000)).toBe('2');
    expect(formatCpu(1500)).toBe('1500m');
    expect(formatCpu(1)).toBe('1m');
  });

  it('writes memory in Gi when whole, else in Mi rounded up, never below the sum', () => {
    expect(formatMemory(2 ** 30)).toBe('1Gi');
    expect(formatMemory(3 * 2 ** 30)).toBe('3Gi');
    expect(formatMemory(1.5 * 2 ** 30)).toBe('1536Mi');
    expect(formatMemory(1)).toBe('1Mi');
    expect(formatMemory(1e9)).toBe('954Mi');
  });

  it('round-trips what it writes', () => {
    for (const bytes of [2 ** 20, 640 * 2 ** 20, 5 * 2 ** 30]) expect(memoryBytes(formatMemory(bytes))).toBe(bytes);
    for (const millis of [100, 1000, 2500]) expect(cpuMillis(formatCpu(millis))).toBe(millis);
  });
});
