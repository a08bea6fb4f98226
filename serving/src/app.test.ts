import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import type { ModelBackend, Prediction } from './backend.js';
import { BackendError, BackendUnavailableError } from './errors.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import type { ModelMetadata } from './model-metadata.js';
import { ModelState } from './model-state.js';

type Json = Record<string, any>;

const metadata: ModelMetadata = {
  model_name: 'toy',
  model_version: '3',
  model_type: 'Fake',
  task: { type: 'classification' },
  feature_names: ['a', 'b'],
  classes: [0, 1],
  training_metrics: { accuracy: 0.9 },
  created_at: null,
};

/** Predicts 1 when a + b > 0, with P(1) = 0.75 then and 0.25 otherwise; `fail` makes it throw instead. */
function fakeBackend(fail?: () => Error): ModelBackend {
  return {
    kind: 'onnx',
    metadata,
    inputName: 'input',
    async predict(rows, rowCount): Promise<Prediction> {
      if (fail) throw fail();
      const probabilities = new Float32Array(rowCount * 2);
      const labels = [];
      for (let r = 0; r < rowCount; r++) {
        const positive = (rows[r * 2] as number) + (rows[r * 2 + 1] as number) > 0;
        labels.push(positive ? 1 : 0);
        probabilities.set(positive ? [0.25, 0.75] : [0.75, 0.25], r * 2);
      }
      return { labels, probabilities };
    },
    async warmUp() {},
    async close() {},
  };
}

function build(options: { backend?: ModelBackend; warm?: boolean; maxBodyBytes?: number } = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const model = new ModelState();
  if (options.backend !== undefined || options.warm !== false) model.setBackend(options.backend ?? fakeBackend());
  if (options.warm !== false) model.markWarmedUp();
  const metrics = createMetrics({ defaultMetrics: false });
  const app = createApp({ model, metrics, logger: createLogger('info', sink), maxBodyBytes: options.maxBodyBytes ?? 1024 });
  const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { app, model, metrics, post, logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('createApp', () => {
  it('predicts from `features`, with the single-row fields seed 003 callers read', async () => {
    const { post } = build();
    const res = await post('/predict', { features: [1, 2], request_id: 'abc' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({
      prediction: 1,
      probability: 0.75,
      predictions: [1],
      model_name: 'toy',
      model_version: '3',
      request_id: 'abc',
    });
    expect(body).not.toHaveProperty('probabilities');
    expect(typeof body.inference_time_ms).toBe('number');
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  });

  it('predicts columns and instances, with probabilities when asked', async () => {
    const { post } = build();
    const columns = (await (await post('/predict', { inputs: { a: [1, -5], b: [1, 1] }, return_probabilities: true })).json()) as Json;
    expect(columns).toMatchObject({
      predictions: [1, 0],
      probabilities: [
        [0.25, 0.75],
        [0.75, 0.25],
      ],
    });
    expect(columns).not.toHaveProperty('prediction');
    const instances = (await (await post('/batch_predict', { instances: [{ a: -1, b: -1 }] })).json()) as Json;
    expect(instances).toMatchObject({ predictions: [0] });
    expect(instances).not.toHaveProperty('probabilities');
  });

  it('answers every error with {error: {code, message}} and an X-Request-Id', async () => {
    const { app, post } = build();
    const cases: [Response | Promise<Response>, number, string][] = [
      [app.request('/nowhere'), 404, 'not_found'],
      [post('/predict', '{"features": [1,', { 'content-type': 'application/json' }), 400, 'malformed_json'],
      [post('/predict', '', { 'content-type': 'application/json' }), 400, 'malformed_json'],
      [post('/predict', { features: [1, 2] }, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      [post('/predict', { features: [1, 2] }, {}), 415, 'unsupported_media_type'],
      [post('/predict', { features: [1, 2, 3] }), 422, 'invalid_input'],
      [post('/predict', { features: Array.from({ length: 1000 }, () => 1) }), 413, 'payload_too_large'],
      [app.request('/predict'), 405, 'method_not_allowed'],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect(res.status, code).toBe(status);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const body = (await res.json()) as Json;
      expect(body.error.code).toBe(code);
      expect(typeof body.error.message).toBe('string');
    }
  });

  it("answers errors on the v2 routes in the protocol's shape, {error: message}", async () => {
    const { app, post } = build();
    for (const [pending, status] of [
      [app.request('/v2/models/other'), 404],
      [app.request('/v2/models/toy/versions/9'), 404],
      [app.request('/v2/models/toy/infer'), 405],
      [post('/v2/models/toy/infer', { inputs: [] }), 422],
      [post('/v2/models/toy/infer', { inputs: [] }, { 'content-type': 'text/plain' }), 415],
    ] as const) {
      const res = await pending;
      expect(res.status).toBe(status);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(Object.keys((await res.json()) as Json)).toEqual(['error']);
    }
  });

  it('keeps a valid X-Request-Id and replaces an unsafe one', async () => {
    const { app, logs } = build();
    expect((await app.request('/health', { headers: { 'x-request-id': 'trace-1.a_b' } })).headers.get('x-request-id')).toBe('trace-1.a_b');
    const replaced = (await app.request('/health', { headers: { 'x-request-id': 'bad id\twith spaces' } })).headers.get('x-request-id');
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    expect((await app.request('/health', { headers: { 'x-request-id': 'x'.repeat(129) } })).headers.get('x-request-id')).toHaveLength(36);
    expect(logs()[0]).toMatchObject({ method: 'GET', route: '/health', status: 200, request_id: 'trace-1.a_b', msg: 'request' });
    expect(typeof logs()[0]?.duration_ms).toBe('number');
  });

  it('turns a bug into a logged 500 without a stack in the body', async () => {
    const { post, logs } = build({ backend: fakeBackend(() => new TypeError('secret internals')) });
    const res = await post('/predict', { features: [1, 2] });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret internals');
    expect(text).not.toContain('at ');
    const logged = logs().find((line) => line.msg === 'unhandled error') as { err: { stack: string }; request_id: string };
    expect(logged.err.stack).toContain('secret internals');
    expect(logged.request_id).toBe(res.headers.get('x-request-id'));
  });

  it.each([
    [() => new BackendError('endpoint said no'), 502, 'backend_error'],
    [() => new BackendUnavailableError('endpoint unreachable'), 503, 'backend_unavailable'],
  ])('maps backend failures to their status', async (fail, status, code) => {
    const { post } = build({ backend: fakeBackend(fail) });
    const res = await post('/predict', { features: [1, 2] });
    expect(res.status).toBe(status);
    expect(((await res.json()) as Json).error).toEqual({ code, message: fail().message });
  });

  it('is live but not ready while the model loads, and predicts only once warmed up', async () => {
    const { app, model, post } = build({ warm: false });
    expect(((await (await app.request('/health')).json()) as Json).model_loaded).toBe(false);
    expect((await app.request('/ready')).status).toBe(503);
    expect((await app.request('/v2/health/ready')).status).toBe(503);
    expect((await post('/predict', { features: [1, 2] })).status).toBe(503);
    model.setBackend(fakeBackend());
    model.markWarmedUp();
    expect((await app.request('/ready')).status).toBe(200);
    expect((await post('/predict', { features: [1, 2] })).status).toBe(200);
  });

  it('while draining: not ready, still predicting, closing each connection', async () => {
    const { app, model, post } = build();
    model.draining = true;
    const ready = await app.request('/ready');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    const res = await post('/predict', { features: [1, 2] });
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
  });

  it('labels metrics with the route pattern, not the path', async () => {
    const { app, post, metrics } = build();
    await post('/v2/models/toy/infer', { inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: [1, 1] }] });
    await app.request('/v2/models/a-random-name');
    await app.request('/some/random/path');
    const text = await metrics.registry.metrics();
    expect(text).toContain('ml_requests_total{route="/v2/models/:name/infer",method="POST",status="200"} 1');
    expect(text).toContain('ml_requests_total{route="/v2/models/:name",method="GET",status="404"} 1');
    expect(text).toContain('ml_requests_total{route="unmatched",method="GET",status="404"} 1');
    expect(text).toContain('ml_predictions_total{model="toy",version="3",class="1"} 1');
    expect(text).not.toContain('a-random-name');
  });

  it('counts every predicted row under its class, however the labels are ordered', async () => {
    const { post, metrics } = build();
    // Labels 1, 1, 0, 1, 0, 0, 1: runs of one class and alternations.
    const rows = [1, 1, -1, 1, -1, -1, 1].map((x) => [x, x]);
    const res = await post('/v2/models/toy/infer', { inputs: [{ name: 'input', shape: [7, 2], datatype: 'FP32', data: rows }] });
    expect(res.status).toBe(200);
    const text = await metrics.registry.metrics();
    expect(text).toContain('ml_predictions_total{model="toy",version="3",class="1"} 4');
    expect(text).toContain('ml_predictions_total{model="toy",version="3",class="0"} 3');
  });
});
