/** The live panels' arithmetic (ui/request-stats.ts): quantiles from histogram deltas, points between samples. */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { GAP_MS, pointBetween, quantileBetween, readTotals, RequestStats, type TotalsSample } from '../src/ui/request-stats.js';

const INF = Number.POSITIVE_INFINITY;

function sample(t: number, buckets: number[], errors: { client?: number; server?: number } = {}): TotalsSample {
  return {
    t,
    count: buckets[buckets.length - 1] as number,
    clientErrors: errors.client ?? 0,
    serverErrors: errors.server ?? 0,
    bounds: [0.001, 0.01, 0.1, INF],
    buckets,
  };
}

describe('quantileBetween', () => {
  it('interpolates inside the bucket the rank falls in, as histogram_quantile does', () => {
    // 10 new observations: 4 under 1 ms, 5 in (1 ms, 10 ms], 1 in (10 ms, 100 ms].
    const before = sample(0, [1, 1, 1, 1]);
    const after = sample(1000, [5, 10, 11, 11]);
    // rank 5 of 10: the first observation of the second bucket is the 5th → 1 ms + 9 ms × (5 - 4) / 5.
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.001 + 0.009 * (1 / 5), 9);
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(0.01 + 0.09 * ((9.9 - 9) / 1), 9);
    expect(quantileBetween(undefined, sample(0, [0, 0, 0, 0]), 0.5)).toBeNull();
  });

  it('answers the largest finite bound for ranks in the +Inf bucket', () => {
    expect(quantileBetween(sample(0, [0, 0, 0, 0]), sample(1000, [0, 0, 0, 3]), 0.5)).toBe(0.1);
  });
});

describe('pointBetween', () => {
  it('gives requests/s and the error shares of the interval', () => {
    const point = pointBetween(sample(10_000, [0, 0, 0, 0]), sample(12_000, [2, 4, 4, 4], { client: 1, server: 1 }));
    expect(point).toMatchObject({ t: 12, requests: 4, rps: 2, error_pct: 50, server_error_pct: 25 });
  });

  it('has no values for an interval without requests, or one longer than the gap (nobody was watching)', () => {
    expect(pointBetween(sample(0, [1, 1, 1, 1]), sample(1000, [1, 1, 1, 1]))).toMatchObject({ rps: 0, p50_ms: null, error_pct: null });
    expect(pointBetween(sample(0, [0, 0, 0, 0]), sample(GAP_MS + 1, [5, 5, 5, 5]))).toMatchObject({ requests: 5, rps: null });
  });
});

describe('readTotals and RequestStats', () => {
  function histogram() {
    const registry = new Registry();
    const duration = new Histogram({
      name: 'ml_request_duration_seconds',
      help: 'test',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.001, 0.01],
      registers: [registry],
    });
    return { registry, duration };
  }

  it('sums the prediction routes over methods and statuses and leaves the other routes out', async () => {
    const { registry, duration } = histogram();
    duration.labels('/predict', 'POST', '200').observe(0.0005);
    duration.labels('/batch_predict', 'POST', '422').observe(0.005);
    duration.labels('/v2/models/:name/infer', 'POST', '503').observe(0.5);
    duration.labels('/metrics', 'GET', '200').observe(0.5);
    duration.labels('/ui/api/stats', 'GET', '200').observe(0.5);
    expect(await readTotals(registry, 7)).toEqual({
      t: 7,
      count: 3,
      clientErrors: 1,
      serverErrors: 1,
      bounds: [0.001, 0.01, INF],
      buckets: [1, 2, 3],
    });
  });

  it('samples at most once a second and keeps ten minutes', async () => {
    const { registry, duration } = histogram();
    const stats = new RequestStats(registry);
    expect(await stats.points(0)).toEqual([]);
    duration.labels('/predict', 'POST', '200').observe(0.0005);
    // Within the second: no new sample, so still no point.
    expect(await stats.points(500)).toEqual([]);
    expect(await stats.points(2000)).toMatchObject([{ t: 2, requests: 1, rps: 0.5 }]);
    for (let t = 4000; t <= 2000 + 10 * 60_000 + 2000; t += 2000) await stats.points(t);
    const points = await stats.points(2000 + 10 * 60_000 + 4000);
    expect(points.length).toBe(300);
    expect(points[0]?.t).toBeGreaterThanOrEqual(6);
  });
});
