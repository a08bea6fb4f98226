/**
 * Every endpoint over real HTTP against the fixture ONNX model, served by start-server.ts as in production.
 * Expected probabilities come from scikit-learn's predict_proba on the same model (make-fixture-model.py).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/start-server.js';
import { FEATURES, FIXTURE_MODEL_DIR, getJson, postJson, startFixtureServer, type Json } from './serving-harness.js';

const METADATA = JSON.parse(readFileSync(path.join(FIXTURE_MODEL_DIR, 'metadata.json'), 'utf8')) as { feature_names: string[] };
const NAMES = METADATA.feature_names;
const ZEROS = NAMES.map(() => 0);
const LOW = [-2, ...ZEROS.slice(1)];
/** scikit-learn's P(fraud) for FEATURES, ZEROS and LOW. */
const SKLEARN_P1 = [0.5314826369285583, 0.24395786225795746, 0.012354973703622818];

const columns = (rows: number[][]): Record<string, number[]> =>
  Object.fromEntries(NAMES.map((name, j) => [name, rows.map((row) => row[j] as number)]));
const instance = (row: number[]): Record<string, number> => Object.fromEntries(NAMES.map((name, j) => [name, row[j] as number]));

let server: RunningServer;
let base: string;

beforeAll(async () => {
  server = await startFixtureServer();
  base = server.url;
});
afterAll(async () => {
  await server?.shutdown('test done');
});

describe('probes and metadata', () => {
  it('GET /health answers seed 004 health', async () => {
    const { status, body, headers } = await getJson(`${base}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'healthy', model_loaded: true, model_name: 'fraud', model_version: '20240601T000000Z' });
    expect(Date.parse(body.timestamp)).not.toBeNaN();
    expect(headers.get('x-request-id')).toBeTruthy();
  });

  it('GET /ready is 200 once warmed up', async () => {
    expect((await getJson(`${base}/ready`)).status).toBe(200);
  });

  it('GET /metadata carries metadata.json and loaded_at', async () => {
    const { status, body } = await getJson(`${base}/metadata`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      model_name: 'fraud',
      model_version: '20240601T000000Z',
      model_type: 'LogisticRegression',
      feature_names: NAMES,
      classes: [0, 1],
      backend: 'onnx',
    });
    expect(body.training_metrics.accuracy).toBeGreaterThan(0.5);
    expect(Date.parse(body.loaded_at)).not.toBeNaN();
  });

  it('GET /openapi.json is OpenAPI 3.1 naming every route and the model features', async () => {
    const { status, body } = await getJson(`${base}/openapi.json`);
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const routes = Object.keys(body.paths);
    for (const route of [
      '/health',
      '/ready',
      '/metadata',
      '/metrics',
      '/openapi.json',
      '/predict',
      '/batch_predict',
      '/v2/health/live',
      '/v2/health/ready',
      '/v2/models/{name}',
      '/v2/models/{name}/ready',
      '/v2/models/{name}/infer',
    ]) {
      expect(routes).toContain(route);
    }
    // Every route the app registered is documented (Hono's :param written as OpenAPI's {param}).
    const registered = new Set(server.app.routes.filter((r) => r.method !== 'ALL').map((r) => r.path.replace(/:(\w+)/g, '{$1}')));
    for (const route of registered) expect(routes).toContain(route);
    expect(Object.keys(body.components.schemas.InstancesRequest.properties.instances.items.properties)).toEqual(NAMES);
  });
});

describe('POST /predict and /batch_predict', () => {
  it('answers seed 003 `features` with prediction, probability and the echoed request_id', async () => {
    const { status, body, headers } = await postJson(
      `${base}/predict`,
      { features: FEATURES, request_id: 'test_001' },
      { 'x-request-id': 'trace-42' },
    );
    expect(status).toBe(200);
    expect(headers.get('x-request-id')).toBe('trace-42');
    expect(body).toMatchObject({
      prediction: 1,
      predictions: [1],
      model_name: 'fraud',
      model_version: '20240601T000000Z',
      request_id: 'test_001',
    });
    expect(body.probability).toBeCloseTo(SKLEARN_P1[0] as number, 5);
    expect(body.inference_time_ms).toBeGreaterThanOrEqual(0);
  });

  it('answers seed 004 columnar `inputs` with probabilities per row', async () => {
    const { status, body } = await postJson(`${base}/predict`, { inputs: columns([FEATURES, ZEROS, LOW]), return_probabilities: true });
    expect(status).toBe(200);
    expect(body.predictions).toEqual([1, 0, 0]);
    (body.probabilities as number[][]).forEach((row, i) => {
      expect(row[1]).toBeCloseTo(SKLEARN_P1[i] as number, 5);
      expect((row[0] as number) + (row[1] as number)).toBeCloseTo(1, 5);
    });
    expect(body).not.toHaveProperty('prediction');
  });

  it('answers `instances` on /batch_predict', async () => {
    const { status, body } = await postJson(`${base}/batch_predict`, {
      instances: [instance(LOW), instance(FEATURES)],
      return_probabilities: true,
    });
    expect(status).toBe(200);
    expect(body.predictions).toEqual([0, 1]);
    expect(body.probabilities[1][1]).toBeCloseTo(SKLEARN_P1[0] as number, 5);
  });

  it('gives each of many concurrent requests its own answer (runs are coalesced under load)', async () => {
    const runsServingMoreThan = async (requests: number) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return (
        Number(/^ml_model_run_requests_count (\d+)$/m.exec(text)?.[1]) -
        Number(new RegExp(`^ml_model_run_requests_bucket\\{le="${requests}"\\} (\\d+)$`, 'm').exec(text)?.[1])
      );
    };
    const coalescedBefore = await runsServingMoreThan(1);
    const rows = Array.from({ length: 60 }, (_, i) => [(i % 7) - 3, ...FEATURES.slice(1)]);
    const alone = await Promise.all(
      rows.slice(0, 7).map(async (row) => (await postJson(`${base}/predict`, { features: row })).body.probability as number),
    );
    const together = await Promise.all(rows.map((row, i) => postJson(`${base}/predict`, { features: row, request_id: `r${i}` })));
    together.forEach(({ status, body }, i) => {
      expect(status).toBe(200);
      expect(body.request_id).toBe(`r${i}`);
      expect(body.probability).toBeCloseTo(alone[i % 7] as number, 6);
    });
    // /metrics shows the batching: runs that served more than one request.
    expect(await runsServingMoreThan(1)).toBeGreaterThan(coalescedBefore);
  });
});

describe('Open Inference Protocol v2', () => {
  it('answers health, model metadata and model readiness', async () => {
    expect(await getJson(`${base}/v2/health/live`)).toMatchObject({ status: 200, body: { live: true } });
    expect(await getJson(`${base}/v2/health/ready`)).toMatchObject({ status: 200, body: { ready: true } });
    const { status, body } = await getJson(`${base}/v2/models/fraud`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      name: 'fraud',
      versions: ['20240601T000000Z'],
      platform: 'onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 20] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
    expect(await getJson(`${base}/v2/models/fraud/ready`)).toMatchObject({ status: 200, body: { name: 'fraud', ready: true } });
    expect((await getJson(`${base}/v2/models/fraud/versions/20240601T000000Z`)).status).toBe(200);
  });

  it('infers label and probabilities for a [rows, 20] FP32 tensor', async () => {
    const { status, body } = await postJson(`${base}/v2/models/fraud/infer`, {
      id: 'req-1',
      inputs: [{ name: 'input', shape: [2, 20], datatype: 'FP32', data: [...FEATURES, ...LOW] }],
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model_name: 'fraud', model_version: '20240601T000000Z', id: 'req-1' });
    const [label, probabilities] = body.outputs as Json[];
    expect(label).toEqual({ name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] });
    expect(probabilities).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [2, 2] });
    expect(probabilities?.data[1]).toBeCloseTo(SKLEARN_P1[0] as number, 5);
    expect(probabilities?.data[3]).toBeCloseTo(SKLEARN_P1[2] as number, 5);
    const versioned = await postJson(`${base}/v2/models/fraud/versions/20240601T000000Z/infer`, {
      inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP64', data: [FEATURES] }],
      outputs: [{ name: 'label' }],
    });
    expect(versioned.body.outputs).toEqual([{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }]);
  });

  it('answers 404 for a model or version it does not serve', async () => {
    const tensor = { inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', data: FEATURES }] };
    for (const response of [
      await getJson(`${base}/v2/models/churn`),
      await getJson(`${base}/v2/models/churn/ready`),
      await postJson(`${base}/v2/models/churn/infer`, tensor),
      await postJson(`${base}/v2/models/fraud/versions/1/infer`, tensor),
    ]) {
      expect(response.status).toBe(404);
      // The protocol's error shape, not the seeds' {error: {code, message}}.
      expect(response.body.error).toMatch(/^(no model named "churn"|model "fraud" has no version "1")/);
    }
  });
});

describe('GET /metrics', () => {
  it('exposes the seed metric names, labelled by route pattern, plus process metrics', async () => {
    await postJson(`${base}/v2/models/whatever-name/infer`, {});
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const name of [
      'ml_requests_total',
      'ml_request_duration_seconds_bucket',
      'ml_predictions_total',
      'model_prediction_latency_seconds_bucket',
      'model_load_timestamp',
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/ml_requests_total\{route="\/predict",method="POST",status="200"\} \d+/);
    expect(text).toMatch(/ml_predictions_total\{model="fraud",version="20240601T000000Z",class="1"\} \d+/);
    expect(text).toContain('route="/v2/models/:name/infer"');
    expect(text).not.toContain('whatever-name');
    const loaded = /model_load_timestamp\{model="fraud",version="20240601T000000Z"\} (\d+(\.\d+)?)/.exec(text);
    expect(Math.abs(Number(loaded?.[1]) - Date.now() / 1000)).toBeLessThan(600);
  });
});

describe('bad input: a JSON error, and the server keeps serving', () => {
  const good = async (): Promise<void> => {
    const { status, body } = await postJson(`${base}/predict`, { features: FEATURES });
    expect(status).toBe(200);
    expect(body.prediction).toBe(1);
  };
  const raw = (text: string, contentType = 'application/json') => postJson(`${base}/predict`, text, { 'content-type': contentType });
  const badColumns = columns([FEATURES, ZEROS]);
  badColumns.ip_risk_score = [1];

  it.each<[string, () => Promise<{ status: number; body: Json }>, number, string | undefined]>([
    ['malformed JSON', () => raw('{"features": [1, 2,'), 400, undefined],
    ['an empty body', () => raw(''), 400, undefined],
    ['text/plain', () => raw(JSON.stringify({ features: FEATURES }), 'text/plain'), 415, undefined],
    ['form encoding', () => raw('features=1', 'application/x-www-form-urlencoded'), 415, undefined],
    ['19 features', () => postJson(`${base}/predict`, { features: FEATURES.slice(1) }), 422, 'features'],
    ['a string feature', () => postJson(`${base}/predict`, { features: ['0.5', ...FEATURES.slice(1)] }), 422, 'features[0]'],
    ['a null feature', () => postJson(`${base}/predict`, { features: [...FEATURES.slice(0, 19), null] }), 422, 'features[19]'],
    ['1e999 (Infinity)', () => raw(`{"features": [1e999${',0'.repeat(19)}]}`), 422, 'features[0]'],
    [
      '-1e999 in a column',
      () => raw(`{"inputs": {${NAMES.map((n, j) => `"${n}": [0, ${j === 2 ? '-1e999' : '0'}]`).join(',')}}}`),
      422,
      'inputs.day_of_week[1]',
    ],
    ['a missing column', () => postJson(`${base}/predict`, { inputs: { amount: [1] } }), 422, 'inputs.hour_of_day'],
    ['a misnamed column', () => postJson(`${base}/predict`, { inputs: { ...columns([FEATURES]), amout: [1] } }), 422, 'inputs.amout'],
    ['columns of unequal length', () => postJson(`${base}/predict`, { inputs: badColumns }), 422, 'inputs.ip_risk_score'],
    [
      'a boolean in a column',
      () => postJson(`${base}/predict`, { inputs: { ...columns([FEATURES, FEATURES, FEATURES]), is_online: [0, 1, true] } }),
      422,
      'inputs.is_online[2]',
    ],
    [
      'an instance missing a feature',
      () => postJson(`${base}/batch_predict`, { instances: [instance(FEATURES), { amount: 1 }] }),
      422,
      'instances[1].hour_of_day',
    ],
    ['an array body', () => postJson(`${base}/predict`, [FEATURES]), 422, undefined],
    ['an unknown route', () => postJson(`${base}/predictions`, { features: FEATURES }), 404, undefined],
  ])('%s', async (_name, send, status, field) => {
    const { status: actual, body } = await send();
    expect(actual).toBe(status);
    expect(typeof body.error.code).toBe('string');
    expect(typeof body.error.message).toBe('string');
    expect(body.error.field).toBe(field);
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
    await good();
  });

  it('413 for a body over MAX_BODY_BYTES, declared or chunked', async () => {
    const small = await startFixtureServer({ MAX_BODY_BYTES: '2048' });
    try {
      const big = JSON.stringify({ instances: Array.from({ length: 50 }, () => instance(FEATURES)) });
      const declared = await postJson(`${small.url}/batch_predict`, big);
      expect(declared.status).toBe(413);
      expect(declared.body.error.code).toBe('payload_too_large');
      const chunked = await sendChunked(`${small.url}/batch_predict`, big);
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body).error.code).toBe('payload_too_large');
      expect((await postJson(`${small.url}/predict`, { features: FEATURES })).status).toBe(200);
    } finally {
      await small.shutdown('test done');
    }
  });
});

/** POSTs without Content-Length (Transfer-Encoding: chunked), in 512-byte chunks. */
function sendChunked(url: string, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    // The server may answer 413 and close before the whole body is written; the response is what counts.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    for (let i = 0; i < text.length; i += 512) req.write(text.slice(i, i + 512));
    req.end();
  });
}
