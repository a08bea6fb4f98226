/**
 * The recommendation and forecast tasks over the real SDK against moto's sagemaker-runtime (a wiring test: moto
 * answers the results queued through its API, one per distinct request body, in order). Its own region, so the
 * queue is not shared with sagemaker-backend.test.ts running beside it.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBench, motoEnv } from '../../test/support/bench.js';
import { queueInvokeResults } from '../../test/support/moto-sagemaker.js';
import type { RunningServer } from '../src/start-server.js';
import { getJson, postJson, startFixtureServer } from './serving-harness.js';

const REGION = 'eu-central-1';
const PLATFORM_MODELS = fileURLToPath(new URL('../../examples/platform/models/', import.meta.url));

const queue = (bodies: unknown[]) => queueInvokeResults(REGION, bodies);

describeWithBench(['moto'], 'SageMaker tasks against moto', () => {
  const saved: Record<string, string | undefined> = {};
  let work = '';
  const servers: RunningServer[] = [];
  beforeAll(() => {
    for (const [key, value] of Object.entries({ ...motoEnv(), AWS_EC2_METADATA_DISABLED: 'true' })) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    work = mkdtempSync(path.join(tmpdir(), 'mlp-sagemaker-tasks-'));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.shutdown('test done')));
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(work, { recursive: true, force: true });
  });

  /** A server on one of examples/platform's metadata files. */
  const serve = async (model: string): Promise<string> => {
    const dir = mkdtempSync(path.join(work, `${model}-`));
    copyFileSync(path.join(PLATFORM_MODELS, `${model}.json`), path.join(dir, 'metadata.json'));
    const server = await startFixtureServer(
      {
        MODEL_DIR: dir,
        SAGEMAKER_ENDPOINT: `${model}-${randomUUID().slice(0, 8)}`,
        SAGEMAKER_CONTENT_TYPE: 'application/json',
        AWS_REGION: REGION,
      },
      { defaultMetrics: false },
    );
    servers.push(server);
    return server.url;
  };

  it('ranks items for a user by the Factorization Machines score of each pair, and checks the ids', async () => {
    await queue([
      { predictions: [{ score: 0.1, predicted_label: 0 }] }, // the warm-up pair (0, 0)
      {
        predictions: [
          { score: 0.2, predicted_label: 0 },
          { score: 0.9, predicted_label: 1 },
          { score: 0.55, predicted_label: 1 },
        ],
      },
      { predictions: [{ score: 0.7, predicted_label: 1 }] },
    ]);
    const url = await serve('recommendations');
    expect((await getJson(`${url}/ready`)).status).toBe(200);

    const ranked = await postJson(`${url}/recommend`, { user: 42, items: [7, 19, 311], top_k: 2 });
    expect(ranked.status, JSON.stringify(ranked.body)).toBe(200);
    expect(ranked.body).toMatchObject({
      user: 42,
      recommendations: [
        { item: 19, score: 0.9 },
        { item: 311, score: 0.55 },
      ],
      model_name: 'recommendations',
      model_version: 'v2',
    });

    const pair = await postJson(`${url}/predict`, { features: [42, 8] });
    expect(pair.status).toBe(200);
    expect(pair.body.prediction).toBe(1);
    expect(pair.body.probability).toBeCloseTo(0.7, 6);

    const badItem = await postJson(`${url}/recommend`, { user: 42, items: [7, 500] });
    expect(badItem.status).toBe(422);
    expect(badItem.body.error).toMatchObject({ field: 'items[1]', message: 'items[1]: got 500, expected an integer id from 0 to 499' });
    const badPair = await postJson(`${url}/predict`, { features: [1000, 3] });
    expect(badPair.status).toBe(422);
    expect(badPair.body.error.field).toBe('features[0]');
    const forecast = await postJson(`${url}/forecast`, { start: '2026-11-01', target: [1] });
    expect(forecast.status).toBe(404);
    expect(forecast.body.error.message).toBe(
      'model recommendations is a recommendation model: it answers POST /recommend or POST /predict, not POST /forecast',
    );
    // And it keeps serving.
    expect((await postJson(`${url}/recommend`, { user: 42, items: [7, 19, 311], top_k: 2 })).status).toBe(200);
  });

  it("forecasts a series' next prediction_length values with DeepAR's mean and quantiles", async () => {
    const week = (base: number) => Array.from({ length: 7 }, (_, day) => base + day);
    await queue([
      { predictions: [{ mean: week(0), quantiles: { '0.1': week(0), '0.5': week(0), '0.9': week(0) } }] }, // warm-up
      { predictions: [{ mean: week(100), quantiles: { '0.1': week(80), '0.9': week(120) } }] },
      { predictions: [{ mean: [1, 2], quantiles: {} }] },
    ]);
    const url = await serve('forecasting');
    expect((await getJson(`${url}/ready`)).status).toBe(200);

    const target = [120, 132, 101, 134, 90, 230, 210];
    const answer = await postJson(`${url}/forecast`, { start: '2026-11-01', target, quantiles: [0.1, 0.9] });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({
      prediction_length: 7,
      frequency: 'D',
      mean: week(100),
      quantiles: { '0.1': week(80), '0.9': week(120) },
      model_name: 'forecasting',
    });

    const short = await postJson(`${url}/forecast`, { start: '2026-11-01', target: [1, 2, 3] });
    expect(short.status).toBe(502);
    expect(short.body.error.message).toContain('mean is not 7 numbers (metadata.json task.prediction_length)');

    const bad = await postJson(`${url}/forecast`, { start: '2026-11-01', target: [1, 2, 'x'] });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ field: 'target[2]', message: 'target[2]: got "x", expected a finite number' });
    const badStart = await postJson(`${url}/forecast`, { start: 'yesterday', target: [1] });
    expect(badStart.body.error.field).toBe('start');
    const predict = await postJson(`${url}/predict`, { features: [1] });
    expect(predict.status).toBe(404);
    expect(predict.body.error.message).toBe('model forecasting is a forecast model: it answers POST /forecast, not POST /predict');
    expect((await postJson(`${url}/forecast`, { start: '2026-11-01', target, quantiles: [0.1, 0.9] })).status).toBe(200);
  });
});

describe('BASE_PATH', () => {
  it('answers under the prefix an Ingress routes by, and at the root for the probes', async () => {
    const server = await startFixtureServer({ BASE_PATH: '/fraud/' });
    try {
      expect((await getJson(`${server.url}/fraud/ready`)).status).toBe(200);
      expect((await getJson(`${server.url}/ready`)).status).toBe(200);
      expect((await getJson(`${server.url}/fraud/metadata`)).body.model_name).toBe('fraud');
      expect((await getJson(`${server.url}/fraudulent/ready`)).status).toBe(404);
    } finally {
      await server.shutdown('test done');
    }
  });
});
