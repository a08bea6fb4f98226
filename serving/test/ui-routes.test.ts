/** The page's routes (routes/ui.ts) through app.request(), on a fake backend: what is served, with which headers. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import type { ModelBackend, Prediction } from '../src/backend.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { parseModelMetadata } from '../src/model-metadata.js';
import { ModelState } from '../src/model-state.js';
import { PAGE_CSP } from '../src/routes/ui.js';

type Json = Record<string, any>;

const metadata = parseModelMetadata(
  { model_name: 'toy', model_version: '3', model_type: 'Fake', feature_names: ['a', 'b'], classes: [0, 1] },
  'test metadata',
);

function fakeBackend(extra: Record<string, unknown> = {}): ModelBackend {
  return {
    kind: 'onnx',
    metadata,
    inputName: 'input',
    async predict(_rows, rowCount): Promise<Prediction> {
      return { labels: new Array(rowCount).fill(1), probabilities: new Float32Array(rowCount * 2).fill(0.5) };
    },
    async warmUp() {},
    async close() {},
    ...extra,
  };
}

function build(backend: ModelBackend = fakeBackend()) {
  const model = new ModelState();
  model.setBackend(backend);
  model.markWarmedUp();
  const metrics = createMetrics({ defaultMetrics: false });
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  return createApp({ model, metrics, logger: createLogger('info', sink), maxBodyBytes: 1 << 20 });
}

describe('the page', () => {
  it('is served at / and /ui/ with a strict same-origin CSP, its files relative to where it is', async () => {
    const app = build();
    for (const [path, assets, api] of [
      ['/', 'ui/', './'],
      ['/ui/', '', '../'],
    ] as const) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
      expect(PAGE_CSP).toMatch(/^default-src 'self'; /);
      expect(PAGE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await res.text();
      expect(html).toContain(`<html lang="en" data-api="${api}">`);
      expect(html).toContain(`<script src="${assets}page.js" type="module"></script>`);
      expect(html).toContain(`<script src="${assets}uplot.min.js" defer></script>`);
      // Nothing inline and nothing from another origin: the CSP would refuse it anyway.
      expect(html).not.toMatch(/<script>|<style|style="|\son\w+="|https?:\/\/|%ASSETS%|%API%/);
    }
  });

  it('redirects /ui to ui/ (relative, so a proxy prefix is kept)', async () => {
    const res = await build().request('/ui');
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('ui/');
  });

  it('serves its script, style sheets and uPlot with their types, and answers 304 to a matching ETag', async () => {
    const app = build();
    for (const [path, type, needle] of [
      ['/ui/page.js', 'text/javascript; charset=utf-8', 'ui/api/stats'],
      ['/ui/page.css', 'text/css; charset=utf-8', '--accent'],
      ['/ui/uplot.min.js', 'text/javascript; charset=utf-8', 'uPlot'],
      ['/ui/uplot.min.css', 'text/css; charset=utf-8', '.uplot'],
    ] as const) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(await res.text()).toContain(needle);
      const etag = res.headers.get('etag') as string;
      expect(etag).toMatch(/^"[\w-]{22}"$/);
      const again = await app.request(path, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
    }
  });
});

describe('GET /ui/api/stats', () => {
  it('turns the request histogram into points: requests/s, p50/p99 and error rate of the prediction routes only', async () => {
    const app = build();
    const first = (await (await app.request('/ui/api/stats')).json()) as Json;
    expect(first).toEqual({ window_seconds: 600, points: [], backend: { kind: 'onnx' } });

    const post = (body: unknown) =>
      app.request('/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (let i = 0; i < 3; i++) expect((await post({ features: [1, 2] })).status).toBe(200);
    expect((await post({ features: [1, 'x'] })).status).toBe(422);
    // Probes and the page's own requests are not prediction traffic.
    await app.request('/health');
    await app.request('/ui/page.js');

    // Samples are at least a second apart, so the second poll makes the first point.
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const res = await app.request('/ui/api/stats');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { points } = (await res.json()) as Json;
    expect(points).toHaveLength(1);
    const [point] = points;
    expect(point.requests).toBe(4);
    expect(point.rps).toBeGreaterThan(2);
    expect(point.rps).toBeLessThan(4);
    expect(point.error_pct).toBe(25);
    expect(point.server_error_pct).toBe(0);
    expect(point.p50_ms).toBeGreaterThan(0);
    expect(point.p99_ms).toBeGreaterThanOrEqual(point.p50_ms);
  });

  it('names the SageMaker endpoint when the backend carries one', async () => {
    const app = build(fakeBackend({ kind: 'sagemaker', endpoint: 'fraud-endpoint' }));
    const body = (await (await app.request('/ui/api/stats')).json()) as Json;
    expect(body.backend).toEqual({ kind: 'sagemaker', endpoint: 'fraud-endpoint' });
  });
});
