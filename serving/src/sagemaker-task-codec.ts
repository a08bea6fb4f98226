/**
 * The request bodies of the two SageMaker built-in algorithms beside XGBoost that seed 000's platform runs, and
 * the answers they give:
 * - Factorization Machines (recommendations): each (user, item) pair is one sparse one-hot row of length
 *   users + items, `{"instances": [{"data": {"features": {"keys": [user, users + item], "shape": [users + items],
 *   "values": [1, 1]}}}]}`; it answers `{"predictions": [{"score", "predicted_label"}]}` (binary_classifier), which
 *   sagemaker-codec.ts's decodePrediction reads like any scored row.
 * - DeepAR (forecasting): `{"instances": [{"start", "target"}], "configuration": {"num_samples", "output_types",
 *   "quantiles"}}`; it answers `{"predictions": [{"mean": [...], "quantiles": {"0.1": [...], ...}}]}`.
 * Both the serving app and `mlp debug sagemaker` (the smoke body it sends with the CLI's credentials) build their
 * bodies here, so the two can never send different requests.
 */
import { BackendError, invalidField } from './errors.js';
import type { ModelTask } from './model-metadata.js';

export type RecommendationTask = Extract<ModelTask, { type: 'recommendation' }>;
export type ForecastTask = Extract<ModelTask, { type: 'forecast' }>;

/** rows holds [user, item] pairs; an id that is not an integer in range is the client's error (422). */
export function encodeFactorizationMachineRows(rows: Float32Array, rowCount: number, task: RecommendationTask): string {
  const width = task.users + task.items;
  const instances = new Array<string>(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const user = checkedId(rows[row * 2]!, task.users, 'user', row);
    const item = checkedId(rows[row * 2 + 1]!, task.items, 'item', row);
    instances[row] = `{"data":{"features":{"keys":[${user},${task.users + item}],"shape":[${width}],"values":[1,1]}}}`;
  }
  return `{"instances":[${instances.join(',')}]}`;
}

function checkedId(value: number, count: number, what: 'user' | 'item', row: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= count) {
    throw invalidField(
      idField(row, what),
      `got ${value}, expected ${what === 'item' ? 'an' : 'a'} ${what} id: an integer from 0 to ${count - 1} (metadata.json task.${what}s is ${count})`,
    );
  }
  return value;
}

/** `features[1]` for the one-row shapes; a batch names its row. */
function idField(row: number, what: 'user' | 'item'): string {
  const column = what === 'user' ? 0 : 1;
  return row === 0 ? `features[${column}]` : `instances[${row}][${column}]`;
}

export interface ForecastRequest {
  /** The first timestamp of `target`, as DeepAR takes it: "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS". */
  start: string;
  target: number[];
  /** Each in (0, 1); DeepAR's default set when absent. */
  quantiles: number[];
}

export interface Forecast {
  mean: number[];
  /** Keyed by the quantile as the request wrote it ("0.1"), each prediction_length values. */
  quantiles: Record<string, number[]>;
}

export const DEFAULT_QUANTILES = [0.1, 0.5, 0.9];
const MAX_TARGET = 100_000;
const START = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/;

/** Checks a /forecast body; every problem is a 422 that names its field. */
export function parseForecastBody(body: unknown): ForecastRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidField('body', 'expected a JSON object {"start": "2026-11-01", "target": [number, ...], "quantiles"?: [0.1, 0.9]}');
  }
  const { start, target, quantiles } = body as Record<string, unknown>;
  if (typeof start !== 'string' || !START.test(start) || Number.isNaN(Date.parse(start.replace(' ', 'T')))) {
    throw invalidField(
      'start',
      `got ${JSON.stringify(start)}, expected the first timestamp of target as "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS"`,
    );
  }
  if (!Array.isArray(target) || target.length === 0 || target.length > MAX_TARGET) {
    throw invalidField('target', `expected an array of 1 to ${MAX_TARGET} numbers, the series so far`);
  }
  target.forEach((value, index) => {
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw invalidField(`target[${index}]`, `got ${JSON.stringify(value)}, expected a finite number`);
  });
  let wanted = DEFAULT_QUANTILES;
  if (quantiles !== undefined) {
    if (!Array.isArray(quantiles) || quantiles.length === 0 || quantiles.length > 20) {
      throw invalidField('quantiles', 'expected an array of 1 to 20 numbers between 0 and 1, such as [0.1, 0.5, 0.9]');
    }
    quantiles.forEach((value, index) => {
      if (typeof value !== 'number' || !(value > 0 && value < 1)) {
        throw invalidField(`quantiles[${index}]`, `got ${JSON.stringify(value)}, expected a number between 0 and 1 (exclusive)`);
      }
    });
    wanted = quantiles as number[];
  }
  return { start, target: target as number[], quantiles: wanted };
}

export function encodeForecastRequest(request: ForecastRequest): string {
  return JSON.stringify({
    instances: [{ start: request.start, target: request.target }],
    configuration: { num_samples: 100, output_types: ['mean', 'quantiles'], quantiles: request.quantiles.map(String) },
  });
}

/** DeepAR's answer for one series; a length other than prediction_length, or a quantile missing, is a 502. */
export function decodeForecast(body: string, request: ForecastRequest, task: ForecastTask): Forecast {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw unexpected('invalid JSON', body);
  }
  const first = (document as { predictions?: unknown[] } | null)?.predictions?.[0] as
    { mean?: unknown; quantiles?: Record<string, unknown> } | undefined;
  const series = (value: unknown, what: string): number[] => {
    if (!Array.isArray(value) || value.length !== task.prediction_length || !value.every((v) => typeof v === 'number')) {
      throw unexpected(`${what} is not ${task.prediction_length} numbers (metadata.json task.prediction_length)`, body);
    }
    return value as number[];
  };
  if (first === undefined || typeof first !== 'object') throw unexpected('no "predictions" array', body);
  const mean = series(first.mean, 'mean');
  const quantiles: Record<string, number[]> = {};
  for (const quantile of request.quantiles.map(String)) quantiles[quantile] = series(first.quantiles?.[quantile], `quantile ${quantile}`);
  return { mean, quantiles };
}

/** The body the CLI sends for a smoke request: the same one the app sends for it (undefined: not this task's shape). */
export function taskEndpointRequest(body: unknown, task: ModelTask): string | undefined {
  if (task.type === 'forecast') {
    try {
      return encodeForecastRequest(parseForecastBody(body));
    } catch {
      return undefined;
    }
  }
  if (task.type !== 'recommendation') return undefined;
  // POST /predict {features: [user, item]} is one pair; POST /recommend {user, items} one pair per item.
  const { features, user, items } = (body ?? {}) as { features?: unknown; user?: unknown; items?: unknown };
  const pairs: unknown[] = Array.isArray(features) ? [features] : Array.isArray(items) ? items.map((item) => [user, item]) : [];
  if (
    pairs.length === 0 ||
    !pairs.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((id) => typeof id === 'number'))
  ) {
    return undefined;
  }
  try {
    return encodeFactorizationMachineRows(Float32Array.from((pairs as number[][]).flat()), pairs.length, task);
  } catch {
    return undefined;
  }
}

function unexpected(what: string, body: string): BackendError {
  const excerpt = body.length > 120 ? `${body.slice(0, 120)}…` : body;
  return new BackendError(`SageMaker endpoint returned an unexpected forecast (${what}): ${JSON.stringify(excerpt)}`);
}
