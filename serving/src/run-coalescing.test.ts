import { describe, expect, it, vi } from 'vitest';
import type { Prediction } from './backend.js';
import { coalesceRuns } from './run-coalescing.js';

/** A "model" with 2 features and 2 classes whose label is the first feature and P(1) the second. */
function fakeRun(): { run: (rows: Float32Array, rowCount: number) => Promise<Prediction>; calls: number[] } {
  const calls: number[] = [];
  const run = async (rows: Float32Array, rowCount: number): Promise<Prediction> => {
    calls.push(rowCount);
    const probabilities = new Float32Array(rowCount * 2);
    const labels = [];
    for (let r = 0; r < rowCount; r++) {
      labels.push(rows[r * 2] as number);
      probabilities[r * 2 + 1] = rows[r * 2 + 1] as number;
    }
    return { labels, probabilities };
  };
  return { run, calls };
}

describe('coalesceRuns', () => {
  it('runs requests queued in one turn as one batch and gives each its own rows back', async () => {
    const { run, calls } = fakeRun();
    const predict = coalesceRuns(run, 2, 2);
    const [first, second] = await Promise.all([predict(new Float32Array([1, 0.5]), 1), predict(new Float32Array([0, 0.25, 1, 0.75]), 2)]);
    expect(calls).toEqual([3]);
    expect(first?.labels).toEqual([1]);
    expect([...(first?.probabilities ?? [])]).toEqual([0, 0.5]);
    expect(second?.labels).toEqual([0, 1]);
    expect([...(second?.probabilities ?? [])]).toEqual([0, 0.25, 0, 0.75]);
  });

  it('runs a lone request unchanged and large ones alone', async () => {
    const { run, calls } = fakeRun();
    const predict = coalesceRuns(run, 2, 2);
    await predict(new Float32Array([1, 0.5]), 1);
    await Promise.all([predict(new Float32Array(600), 300), predict(new Float32Array(2), 1)]);
    expect(calls).toEqual([1, 300, 1]);
  });

  it('splits at the row cap without losing requests', async () => {
    const { run, calls } = fakeRun();
    const predict = coalesceRuns(run, 2, 2);
    const results = await Promise.all(Array.from({ length: 5 }, () => predict(new Float32Array(200), 100)));
    expect(results.every((result) => result.labels.length === 100)).toBe(true);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(500);
  });

  it('rejects every request of a failed batch', async () => {
    const run = vi.fn(async () => {
      throw new Error('boom');
    });
    const predict = coalesceRuns(run, 2, 2);
    const outcomes = await Promise.allSettled([predict(new Float32Array(2), 1), predict(new Float32Array(2), 1)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
