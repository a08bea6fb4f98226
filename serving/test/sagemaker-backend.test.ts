/**
 * The SageMaker backend over the real SDK: against moto's sagemaker-runtime (canned results queued through
 * moto's API; a wiring test: request encoding, endpoint/credential resolution from AWS_ENDPOINT_URL, response
 * parsing); against a closed port for the unreachable case and against a local endpoint that answers 503 for one
 * that is still being created, which need no bench.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBench, motoEndpoint, motoEnv } from '../../test/support/bench.js';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { ModelState } from '../src/model-state.js';
import { loadSageMakerBackend } from '../src/sagemaker-backend.js';
import type { RunningServer } from '../src/start-server.js';
import { FEATURES, FIXTURE_MODEL_DIR, getJson, postJson, startFixtureServer, watchedLogger, type Json } from './serving-harness.js';

/** Sets AWS_* for this test file (the SDK reads them when a client is created) and restores them afterwards. */
function useAwsEnv(env: () => Record<string, string>): void {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [key, value] of Object.entries(env())) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('SageMaker backend, endpoint unreachable', () => {
  let port = 0;
  beforeAll(async () => {
    port = await closedPort();
  });
  useAwsEnv(() => ({
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
  }));

  it('answers 503 with the endpoint named and no stack', async () => {
    const model = new ModelState();
    model.setBackend(
      await loadSageMakerBackend({
        modelDir: FIXTURE_MODEL_DIR,
        sagemaker: { endpoint: 'fraud-ep', contentType: 'text/csv', region: 'us-east-1' },
      }),
    );
    model.markWarmedUp();
    const app = createApp({
      model,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger('silent'),
      maxBodyBytes: 65_536,
    });
    const res = await app.request('/predict', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: FEATURES }),
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as Json;
    expect(body.error.code).toBe('backend_unavailable');
    expect(body.error.message).toContain('"fraud-ep"');
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
  });
});

/** An endpoint that answers every invocation 503, as SageMaker does while an endpoint is still being created. */
async function unavailableEndpoint(): Promise<{ url: string; invocations: { path: string; body: string }[]; close(): Promise<void> }> {
  const invocations: { path: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      invocations.push({ path: req.url ?? '', body });
      res.writeHead(503, { 'content-type': 'application/json', 'x-amzn-errortype': 'ServiceUnavailable' });
      res.end(JSON.stringify({ message: 'endpoint is being created' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('SageMaker backend, endpoint still being created', () => {
  let endpoint: Awaited<ReturnType<typeof unavailableEndpoint>>;
  beforeAll(async () => {
    endpoint = await unavailableEndpoint();
  });
  afterAll(async () => {
    await endpoint.close();
  });
  useAwsEnv(() => ({
    AWS_ENDPOINT_URL: endpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
  }));

  it('stays live but not ready while the warm-up call keeps failing, and keeps retrying it', async () => {
    const { logger, logs } = watchedLogger('warn');
    const server = await startFixtureServer(
      { SAGEMAKER_ENDPOINT: 'fraud-ep', AWS_REGION: 'us-east-1' },
      { defaultMetrics: false, waitForModel: false, logger },
    );
    try {
      // Two failed warm-ups: the first, and the retry after the back-off. Each reached the endpoint as a row of zeros.
      await logs.until('warm-up prediction failed', 2);
      const isWarmUp = (call: { path: string; body: string }) =>
        call.path === '/endpoints/fraud-ep/invocations' && call.body === FEATURES.map(() => '0').join(',');
      expect(endpoint.invocations.length).toBeGreaterThanOrEqual(2);
      expect(endpoint.invocations.every(isWarmUp)).toBe(true);

      expect((await getJson(`${server.url}/health`)).body).toMatchObject({ status: 'healthy', model_loaded: false });
      expect((await getJson(`${server.url}/ready`)).status).toBe(503);
      expect((await postJson(`${server.url}/predict`, { features: FEATURES })).status).toBe(503);
      // The client's request was refused before it reached the endpoint, which still saw warm-ups only.
      expect(endpoint.invocations.every(isWarmUp)).toBe(true);
    } finally {
      await server.shutdown('test done');
    }
  }, 30_000);
});

/** Queues canned invoke_endpoint answers in moto; each new request body takes the next one, in order. */
async function queueMotoResults(results: { body: string; contentType: string }[]): Promise<void> {
  const res = await fetch(`${motoEndpoint()}/moto-api/static/sagemaker/endpoint-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      region: 'us-east-1',
      results: results.map(({ body, contentType }) => ({
        Body: body,
        ContentType: contentType,
        InvokedProductionVariant: 'AllTraffic',
        CustomAttributes: '',
      })),
    }),
  });
  expect(res.status).toBe(201);
}

describeWithBench(['moto'], 'SageMaker backend against moto', () => {
  useAwsEnv(() => ({ ...motoEnv(), AWS_EC2_METADATA_DISABLED: 'true' }));
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.shutdown('test done');
  });

  it('serves /predict, /batch_predict and v2 infer from text/csv scores', async () => {
    // Warm-up (a row of zeros), then one answer per distinct request body below.
    await queueMotoResults([
      { body: '0.1\n', contentType: 'text/csv' },
      { body: '0.85\n', contentType: 'text/csv' },
      { body: '0.2\n0.7\n', contentType: 'text/csv' },
      { body: 'body', contentType: 'text/xml' },
    ]);
    server = await startFixtureServer(
      { SAGEMAKER_ENDPOINT: `mlp-serving-${randomUUID().slice(0, 8)}`, AWS_REGION: 'us-east-1' },
      { defaultMetrics: false },
    );
    expect((await getJson(`${server.url}/ready`)).status).toBe(200);
    expect((await getJson(`${server.url}/metadata`)).body.backend).toBe('sagemaker');

    const single = await postJson(`${server.url}/predict`, { features: FEATURES });
    expect(single.status).toBe(200);
    expect(single.body).toMatchObject({ prediction: 1, predictions: [1], model_name: 'fraud' });
    expect(single.body.probability).toBeCloseTo(0.85, 5);

    const low = FEATURES.map(() => -1);
    const batch = await postJson(`${server.url}/predict`, {
      inputs: Object.fromEntries(
        ((await getJson(`${server.url}/metadata`)).body.feature_names as string[]).map((name, j) => [name, [low[j], FEATURES[j]]]),
      ),
      return_probabilities: true,
    });
    expect(batch.status).toBe(200);
    expect(batch.body.predictions).toEqual([0, 1]);
    expect(batch.body.probabilities[1][1]).toBeCloseTo(0.7, 5);

    // The same rows again: moto answers a body it has seen with the same result.
    const v2 = await postJson(`${server.url}/v2/models/fraud/infer`, {
      inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', data: FEATURES }],
    });
    expect(v2.status).toBe(200);
    expect(v2.body.outputs[0].data).toEqual([1]);

    // An answer that is not a prediction is the endpoint's fault: 502, with the endpoint named.
    const broken = await postJson(`${server.url}/predict`, { features: FEATURES.map(() => 3) });
    expect(broken.status).toBe(502);
    expect(broken.body.error.code).toBe('backend_error');
    expect(broken.body.error.message).toContain('unexpected response');
    expect((await postJson(`${server.url}/predict`, { features: FEATURES })).status).toBe(200);
  });

  it('sends JSON instances and reads JSON predictions with SAGEMAKER_CONTENT_TYPE=application/json', async () => {
    await queueMotoResults([
      { body: '{"predictions":[0.05]}', contentType: 'application/json' },
      { body: '{"predictions":[{"score":0.4},{"score":0.9}]}', contentType: 'application/json' },
    ]);
    const json = await startFixtureServer(
      {
        SAGEMAKER_ENDPOINT: `mlp-serving-${randomUUID().slice(0, 8)}`,
        SAGEMAKER_CONTENT_TYPE: 'application/json',
        AWS_REGION: 'us-east-1',
      },
      { defaultMetrics: false },
    );
    try {
      const names = (await getJson(`${json.url}/metadata`)).body.feature_names as string[];
      const res = await postJson(`${json.url}/batch_predict`, {
        instances: [0, 1].map((k) => Object.fromEntries(names.map((name) => [name, k]))),
      });
      expect(res.status).toBe(200);
      expect(res.body.predictions).toEqual([0, 1]);
    } finally {
      await json.shutdown('test done');
    }
  });
});
