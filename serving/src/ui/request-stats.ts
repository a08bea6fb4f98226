/**
 * The page's live panels (requests/s, p50/p99 latency, error rate), computed from the ml_request_duration_seconds
 * histogram the app already keeps. Nothing runs per request: a sample of the histogram's cumulative totals is
 * taken only when a page asks for the stats (at most once a second, however many pages poll), and each point is
 * the difference between two samples, so a server nobody watches does no extra work at all.
 */
import type { Registry } from 'prom-client';

/** The routes that predict; the page's own polling, probes and /metrics scrapes would drown them. */
export const PREDICTION_ROUTES: ReadonlySet<string> = new Set([
  '/predict',
  '/batch_predict',
  '/v2/models/:name/infer',
  '/v2/models/:name/versions/:version/infer',
]);

const HISTOGRAM = 'ml_request_duration_seconds';
/** Samples closer together than this are not taken: several pages polling share one sample. */
export const MIN_SAMPLE_MS = 1_000;
/** How far back the panels go. */
export const WINDOW_MS = 10 * 60_000;
/** Two samples further apart than this (nobody was watching) become a gap in the charts, not one long average. */
export const GAP_MS = 30_000;

/** Cumulative totals of the prediction routes at one instant. */
export interface TotalsSample {
  /** Epoch milliseconds. */
  t: number;
  count: number;
  clientErrors: number;
  serverErrors: number;
  /** Upper bounds in seconds, ascending, the last one +Infinity. */
  bounds: number[];
  /** Cumulative bucket counts, one per bound. */
  buckets: number[];
}

/** One point of the panels: what happened between two samples. null where there were no requests. */
export interface StatsPoint {
  /** Epoch seconds at the end of the interval (uPlot's x axis). */
  t: number;
  requests: number;
  rps: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  /** Share of responses with status ≥ 400, in percent. */
  error_pct: number | null;
  server_error_pct: number | null;
}

interface MetricValue {
  value: number;
  metricName?: string;
  labels: Record<string, string | number | undefined>;
}

/** Reads the histogram's totals over the prediction routes (all methods and statuses). */
export async function readTotals(registry: Registry, now: number): Promise<TotalsSample> {
  const metric = registry.getSingleMetric(HISTOGRAM);
  const values = metric === undefined ? [] : ((await metric.get()).values as MetricValue[]);
  const byBound = new Map<number, number>();
  let count = 0;
  let clientErrors = 0;
  let serverErrors = 0;
  for (const { value, metricName, labels } of values) {
    if (!PREDICTION_ROUTES.has(String(labels.route))) continue;
    if (metricName === `${HISTOGRAM}_bucket`) {
      const bound = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + value);
    } else if (metricName === `${HISTOGRAM}_count`) {
      count += value;
      const status = Number(labels.status);
      if (status >= 500) serverErrors += value;
      else if (status >= 400) clientErrors += value;
    }
  }
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return { t: now, count, clientErrors, serverErrors, bounds, buckets: bounds.map((bound) => byBound.get(bound) as number) };
}

/**
 * The q-quantile of the observations between two samples, interpolated linearly inside the bucket it falls in, as
 * Prometheus' histogram_quantile does; in the +Inf bucket it is the largest finite bound.
 */
export function quantileBetween(before: TotalsSample | undefined, after: TotalsSample, q: number): number | null {
  const deltas = after.buckets.map((cumulative, i) => cumulative - (before?.buckets[i] ?? 0));
  const total = deltas[deltas.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < deltas.length; i++) {
    const cumulative = deltas[i] as number;
    if (cumulative < rank) continue;
    const upper = after.bounds[i] as number;
    if (upper === Number.POSITIVE_INFINITY) return after.bounds[i - 1] ?? null;
    const lower = i === 0 ? 0 : (after.bounds[i - 1] as number);
    const below = i === 0 ? 0 : (deltas[i - 1] as number);
    const inBucket = cumulative - below;
    return inBucket === 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
  }
  return null;
}

export function pointBetween(before: TotalsSample, after: TotalsSample): StatsPoint {
  const t = after.t / 1000;
  const requests = after.count - before.count;
  const seconds = (after.t - before.t) / 1000;
  if (after.t - before.t > GAP_MS) {
    return { t, requests, rps: null, p50_ms: null, p99_ms: null, error_pct: null, server_error_pct: null };
  }
  const ms = (seconds: number | null) => (seconds === null ? null : round(seconds * 1000, 3));
  const pct = (errors: number) => (requests > 0 ? round((100 * errors) / requests, 2) : null);
  return {
    t,
    requests,
    rps: round(requests / seconds, 2),
    p50_ms: ms(quantileBetween(before, after, 0.5)),
    p99_ms: ms(quantileBetween(before, after, 0.99)),
    error_pct: pct(after.clientErrors + after.serverErrors - before.clientErrors - before.serverErrors),
    server_error_pct: pct(after.serverErrors - before.serverErrors),
  };
}

/** The samples of the last {@link WINDOW_MS}, taken on demand. */
export class RequestStats {
  readonly #registry: Registry;
  readonly #samples: TotalsSample[] = [];

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /** Takes a sample unless one was taken in the last second, then returns the window's points, oldest first. */
  async points(now: number = Date.now()): Promise<StatsPoint[]> {
    const last = this.#samples[this.#samples.length - 1];
    if (last === undefined || now - last.t >= MIN_SAMPLE_MS) {
      this.#samples.push(await readTotals(this.#registry, now));
      while ((this.#samples[0] as TotalsSample).t < now - WINDOW_MS) this.#samples.shift();
    }
    const points: StatsPoint[] = [];
    for (let i = 1; i < this.#samples.length; i++) {
      points.push(pointBetween(this.#samples[i - 1] as TotalsSample, this.#samples[i] as TotalsSample));
    }
    return points;
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
