/**
 * Property: whatever a client sends to the prediction routes, the server answers 200, 400, 413, 415 or 422
 * with a JSON body (an error body for the 4xx), and keeps serving. Bodies are generated near the valid shapes
 * (right keys, wrong values; right values, wrong keys) as well as arbitrary JSON and arbitrary text, so most
 * runs reach the validators rather than stopping at the JSON parser.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/start-server.js';
import { FEATURES, startFixtureServer } from './serving-harness.js';

const NAMES: readonly string[] = [
  'amount',
  'hour_of_day',
  'day_of_week',
  'merchant_risk_score',
  'distance_from_home_km',
  'distance_from_last_txn_km',
  'seconds_since_last_txn',
  'txn_count_1h',
  'txn_count_24h',
  'avg_amount_30d',
  'amount_to_avg_ratio',
  'account_age_days',
  'card_present',
  'is_online',
  'is_international',
  'new_device',
  'failed_logins_24h',
  'customer_age',
  'chargebacks_90d',
  'ip_risk_score',
];
const ALLOWED = new Set([200, 400, 413, 415, 422]);

/** Mostly values the model accepts, sometimes the ones it must reject: out of float32 range, ±Infinity, other types. */
const value = fc.oneof(
  { weight: 30, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => JSON.stringify(v)) },
  { weight: 10, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('1e999', '-1e999', '1e39', '-0', '"1"', 'true', '[]', '{}') },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null') },
);
const valuesOf = (length: fc.Arbitrary<number>) => length.chain((n) => fc.array(value, { minLength: n, maxLength: n }));
const mostly = <T>(usual: T, other: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: other });
/** The model's feature names, or a near miss: one dropped, one renamed, one unknown added. */
const featureNames = fc.oneof(
  { weight: 6, arbitrary: fc.constant(NAMES) },
  { weight: 1, arbitrary: fc.nat(19).map((i) => NAMES.filter((_, j) => j !== i)) },
  { weight: 1, arbitrary: fc.nat(19).map((i) => NAMES.map((name, j) => (j === i ? `${name}_x` : name))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((extra) => [...NAMES, extra]) },
);
const extras = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('', ',"return_probabilities":true', ',"request_id":"abc"') },
  { weight: 1, arbitrary: fc.constantFrom(',"return_probabilities":"yes"', ',"request_id":7', ',"unexpected":1') },
);

const featuresBody = fc
  .tuple(valuesOf(mostly(20, fc.nat(25))), extras)
  .map(([values, extra]) => `{"features":[${values.join(',')}]${extra}}`);
const columnsBody = fc
  .tuple(fc.nat(4), featureNames, extras)
  .chain(([rows, names, extra]) =>
    fc
      .tuple(...names.map((name) => valuesOf(mostly(rows, fc.nat(5))).map((values) => `${JSON.stringify(name)}:[${values.join(',')}]`)))
      .map((entries) => `{"inputs":{${entries.join(',')}}${extra}}`),
  );
const instancesBody = fc
  .tuple(fc.array(featureNames, { maxLength: 4 }), extras)
  .chain(([instances, extra]) =>
    fc
      .tuple(
        ...instances.map((names) =>
          fc.tuple(...names.map(() => value)).map((values) => `{${names.map((n, i) => `${JSON.stringify(n)}:${values[i]}`).join(',')}}`),
        ),
      )
      .map((objects) => `{"instances":[${objects.join(',')}]${extra}}`),
  );
const v2Body = fc
  .tuple(fc.nat(3), mostly('FP32', fc.constantFrom('FP64', 'INT64', 'BYTES', 'fp32')), mostly('input', fc.constantFrom('inputs', 'x')))
  .chain(([rows, datatype, name]) =>
    fc
      .tuple(valuesOf(mostly(rows * 20, fc.nat(45))), mostly(`[${rows},20]`, fc.constantFrom(`[${rows}]`, '[1,20]', '"x"')))
      .map(([values, shape]) => `{"inputs":[{"name":"${name}","shape":${shape},"datatype":"${datatype}","data":[${values.join(',')}]}]}`),
  );
const anyBody = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('{', '{"features":', 'null', '[]', '{"features":[1e999]}'),
);
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=utf-8', 'application/problem+json', '') },
);

let server: RunningServer;
beforeAll(async () => {
  server = await startFixtureServer({ MAX_BODY_BYTES: '4096' });
});
afterAll(async () => {
  await server?.shutdown('test done');
});

async function send(path: string, body: string, type: string, seen: Set<number>): Promise<void> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: type === '' ? {} : { 'content-type': type }, body });
  const text = await res.text();
  seen.add(res.status);
  expect(ALLOWED, `${res.status} for ${path} ${body.slice(0, 200)}: ${text}`).toContain(res.status);
  const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  // The v2 routes answer errors in the Open Inference Protocol's shape, {error: message}.
  if (res.status !== 200 && path.startsWith('/v2/')) expect(typeof parsed.error).toBe('string');
  else if (res.status !== 200) {
    expect(typeof parsed.error?.code).toBe('string');
    expect(typeof parsed.error?.message).toBe('string');
  }
}

describe('request fuzzing over HTTP', () => {
  it.each([
    ['/predict', fc.oneof(featuresBody, columnsBody, anyBody)],
    ['/batch_predict', fc.oneof(instancesBody, anyBody)],
    ['/v2/models/fraud/infer', fc.oneof(v2Body, anyBody)],
  ] as const)('%s only answers 200/400/413/415/422', async (path, bodies) => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(bodies, contentType, (body, type) => send(path, body, type, seen)),
      { numRuns: 150, seed: 20240601 },
    );
    // The generators are only useful if they reach both the model and the validators.
    expect([...seen]).toEqual(expect.arrayContaining([200, 400, 422]));
    const health = await fetch(`${server.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: FEATURES }),
    });
    expect(health.status).toBe(200);
  });
});
