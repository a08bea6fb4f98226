/**
 * The prediction routes served straight on node:http (hot-routes.ts) answer what the same requests answer through
 * Hono: each case goes to a real listener built around hotRoutes() and to `app.request()` (Hono alone), and the
 * two answers must match in status, headers and body. A fallback spy shows which requests the hot routes took.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import type { AppDeps } from '../src/app-deps.js';
import { hotRoutes } from '../src/hot-routes.js';
import type { RunningServer } from '../src/start-server.js';
import { FEATURES, FIXTURE_MODEL_DIR, startFixtureServer, watchedLogger, type LogWatch } from './serving-harness.js';

const MAX_BODY_BYTES = 4096;
const NAMES = (JSON.parse(readFileSync(`${FIXTURE_MODEL_DIR}/metadata.json`, 'utf8')) as { feature_names: string[] }).feature_names;
const INSTANCE = Object.fromEntries(NAMES.map((name, j) => [name, FEATURES[j]]));
const COLUMNS = Object.fromEntries(NAMES.map((name, j) => [name, [FEATURES[j], 0]]));

let fixture: RunningServer;
let deps: AppDeps;
let app: ReturnType<typeof createApp>;
let listener: Server;
let base: string;
let logs: LogWatch;
const fellBack: string[] = [];

beforeAll(async () => {
  fixture = await startFixtureServer();
  const watched = watchedLogger('info');
  logs = watched.logs;
  deps = { model: fixture.model, metrics: fixture.metrics, logger: watched.logger, maxBodyBytes: MAX_BODY_BYTES, basePath: '/fraud' };
  app = createApp(deps);
  const honoListener = getRequestListener(app.fetch);
  listener = createServer(
    hotRoutes(deps, (request, response) => {
      fellBack.push(`${request.method} ${request.url}`);
      void honoListener(request, response);
    }),
  );
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
});
afterAll(async () => {
  listener?.close();
  await fixture?.shutdown('test done');
});

interface Case {
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  method?: string;
}

const json = { 'content-type': 'application/json' };
const tensor = (extra: object = {}) =>
  JSON.stringify({ inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', data: FEATURES }], ...extra });

/** Status, the headers a client reads, and the body without the fields that differ by the clock. */
async function answer(response: Response): Promise<object> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type');
  let body: unknown = bytes.toString('base64');
  if (type === 'application/json') {
    body = JSON.parse(bytes.toString('utf8'));
    for (const key of ['timestamp', 'inference_time_ms']) delete (body as Record<string, unknown>)[key];
  }
  return {
    status: response.status,
    type,
    requestId: response.headers.get('x-request-id'),
    headerLength: response.headers.get('inference-header-content-length'),
    allow: response.headers.get('allow'),
    body,
  };
}

async function both({ path, body, headers = json, method = 'POST' }: Case): Promise<{ hot: object; hono: object }> {
  const init = { method, headers: { 'x-request-id': 'parity-1', ...headers }, ...(body === undefined ? {} : { body }) };
  const hot = await answer(await fetch(`${base}${path}`, init));
  const hono = await answer(await app.request(path, init));
  return { hot, hono };
}

describe('the hot routes answer what Hono answers', () => {
  const cases: [string, Case][] = [
    ['seed 003 features', { path: '/fraud/predict', body: JSON.stringify({ features: FEATURES, request_id: 'r-1' }) }],
    ['columnar inputs', { path: '/fraud/predict', body: JSON.stringify({ inputs: COLUMNS, return_probabilities: true }) }],
    ['batch instances', { path: '/batch_predict', body: JSON.stringify({ instances: [INSTANCE, INSTANCE], return_probabilities: true }) }],
    ['no Content-Type, JSON body', { path: '/predict', body: JSON.stringify({ features: FEATURES }), headers: {} }],
    ['malformed JSON', { path: '/predict', body: '{"features": [' }],
    ['text/plain', { path: '/predict', body: '{}', headers: { 'content-type': 'text/plain' } }],
    ['a feature out of range', { path: '/predict', body: JSON.stringify({ features: [...FEATURES.slice(1), 1e39] }) }],
    ['too many features', { path: '/predict', body: JSON.stringify({ features: [...FEATURES, 1] }) }],
    ['an instance missing features', { path: '/batch_predict', body: JSON.stringify({ instances: [{ amount: 1, hour_of_day: 2 }] }) }],
    ['over MAX_BODY_BYTES', { path: '/batch_predict', body: JSON.stringify({ instances: Array(20).fill(INSTANCE) }) }],
    ['V2 JSON infer', { path: '/v2/models/fraud/infer', body: tensor({ id: 'v2-1' }) }],
    ['V2 versioned infer', { path: '/v2/models/fraud/versions/20240601T000000Z/infer', body: tensor() }],
    ['V2 binary output', { path: '/v2/models/fraud/infer', body: tensor({ parameters: { binary_data_output: true } }) }],
    ['V2 unknown model', { path: '/v2/models/other/infer', body: tensor() }],
    ['V2 unknown version', { path: '/v2/models/fraud/versions/9/infer', body: tensor() }],
    ['V2 bad datatype', { path: '/v2/models/fraud/infer', body: tensor().replace('FP32', 'FP99') }],
    ['V2 malformed JSON', { path: '/v2/models/fraud/infer', body: '[' }],
  ];
  it.each(cases)('%s', async (_, request) => {
    fellBack.length = 0;
    const { hot, hono } = await both(request);
    expect(hot).toEqual(hono);
    expect(fellBack).toEqual([]);
  });
});

describe('what the hot routes leave to Hono', () => {
  it.each([
    ['GET /predict (405)', { path: '/predict', method: 'GET', headers: {} }],
    ['a query string', { path: '/predict?debug=1', body: JSON.stringify({ features: FEATURES }) }],
    ['a percent-encoded model name', { path: '/v2/models/fr%61ud/infer', body: tensor() }],
    ['a route that is not a prediction', { path: '/recommend', body: '{}' }],
  ] as [string, Case][])('%s', async (_, request) => {
    fellBack.length = 0;
    const { hot, hono } = await both(request);
    expect(hot).toEqual(hono);
    expect(fellBack).toHaveLength(1);
  });
});

describe('a request served by the hot routes', () => {
  it('is counted and logged like any other, by route pattern', async () => {
    const before = logs.count('request');
    const response = await fetch(`${base}/fraud/v2/models/fraud/infer`, { method: 'POST', headers: json, body: tensor() });
    expect(response.status).toBe(200);
    await logs.until('request', before + 1);
    const line = logs.entries.filter((entry) => entry.msg === 'request').at(-1);
    expect(line).toMatchObject({ method: 'POST', route: '/v2/models/:name/infer', path: '/fraud/v2/models/fraud/infer', status: 200 });
    const metrics = await deps.metrics.registry.metrics();
    expect(metrics).toMatch(/ml_requests_total\{route="\/v2\/models\/:name\/infer",method="POST",status="200"\} [1-9]/);
  });

  it('closes the connection while the server drains', async () => {
    deps.model.draining = true;
    try {
      const response = await fetch(`${base}/predict`, { method: 'POST', headers: json, body: JSON.stringify({ features: FEATURES }) });
      expect(response.status).toBe(200);
      expect(response.headers.get('connection')).toBe('close');
    } finally {
      deps.model.draining = false;
    }
  });
});
