/**
 * The page (serving/src/ui/, routes/ui.ts) in a real browser: Debian's chromium (test/bench/chromium.sh) driven by
 * playwright-core, against dist/serving/server.js, the bundle a serving image runs, on the fixture model. It fills
 * the form and predicts, gets a bad value's 422 reason next to its field, uploads and pastes CSV, downloads the
 * result, watches a chart take in new traffic, and has axe-core check the page at each state. The page may not
 * break its own Content-Security-Policy nor request anything from another origin.
 *
 * MLP_PAGE_SCREENSHOT=<file.png> also writes the final screenshot there (the README's is made that way).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench } from './support/bench.js';

const root = path.resolve(import.meta.dirname, '..');
const MODEL_DIR = path.join(root, 'serving', 'test', 'fixtures', 'fraud-model');
const NAMES = (JSON.parse(readFileSync(path.join(MODEL_DIR, 'metadata.json'), 'utf8')) as { feature_names: string[] }).feature_names;
/** examples/fraud's smoke request: one legitimate-looking transaction. */
const ROW = [42.5, 14, 2, 0.21, 8.3, 3.1, 5400, 0, 3, 45.2, 0.94, 1200, 1, 0, 0, 0, 0, 41, 0, 0.12];
const RISKY = [980, 3, 6, 0.8, 120, 90, 40, 4, 9, 60, 16, 20, 0, 1, 1, 1, 3, 23, 1, 0.9];
const AXE = readFileSync(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
/** The flags that keep chromium off this machine's closed network (see .library notes on Debian's chromium). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type Json = Record<string, any>;

let server: ChildProcess | undefined;
let base = '';
let browser: Browser | undefined;
let page: Page;
const foreignRequests: string[] = [];
const work = mkdtempSync(path.join(tmpdir(), 'mlp-page-'));

/** Starts the bundled server on a free port and resolves with its URL once the model is ready. */
async function startBundledServer(): Promise<string> {
  // MLP_PAGE_SERVER: another bundle of the server to test (default: the one `node scripts/build.mjs` made).
  const bundle = process.env.MLP_PAGE_SERVER ?? path.join(root, 'dist', 'serving', 'server.js');
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH, MODEL_DIR, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  server = child;
  let url = '';
  for await (const line of createInterface({ input: child.stdout! })) {
    const entry = JSON.parse(line) as Json;
    if (entry.msg === 'listening') url = `http://127.0.0.1:${entry.port}`;
    if (entry.msg === 'model ready') break;
  }
  child.stdout!.resume();
  if (url === '') throw new Error('the server exited before it was ready');
  return url;
}

async function post(route: string, body: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function axeViolations(): Promise<Json[]> {
  // Through the DevTools protocol, which the page's CSP does not govern (an injected <script> it would refuse).
  await page.evaluate(`${AXE}\n;0`);
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as Json;
  return (result.violations as Json[]).map(({ id, impact, help, nodes }) => ({
    id,
    impact,
    help,
    targets: nodes.map((n: Json) => n.target),
  }));
}

async function fillRow(values: readonly (number | string)[]): Promise<void> {
  for (const [index, value] of values.entries()) await page.fill(`#feature-${index}`, String(value));
}

describeWithBench(['chromium'], 'the page in chromium', () => {
  beforeAll(async () => {
    base = await startBundledServer();
    browser = await chromium.launch({ executablePath: benchStatus().chromium.executable!, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    // A string, not a function: the tests are type-checked without the DOM library.
    await page.addInitScript(
      "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
    );
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${base}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) foreignRequests.push(url);
    });
    await page.goto(`${base}/`);
    await page.waitForSelector('body[data-ready="true"]');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  it('builds a labelled field per feature from /metadata, shows the model, and passes axe', async () => {
    expect(await page.locator('#feature-fields input').count()).toBe(NAMES.length);
    for (const [index, name] of NAMES.entries()) {
      expect(await page.locator(`label[for="feature-${index}"]`).textContent()).toBe(name);
    }
    expect(await page.textContent('#model-info')).toContain('20240601T000000Z');
    expect(await page.textContent('#model-backend')).toBe('ONNX, in process (onnxruntime-node)');
    expect(await axeViolations()).toEqual([]);
  });

  it('predicts the row typed in (Enter submits) with probabilities and latency, as /predict answers it', async () => {
    const expected = await post('/predict', { features: RISKY, return_probabilities: true });
    await fillRow(RISKY);
    await page.focus(`#feature-${NAMES.length - 1}`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#predict-result:not([hidden])');
    expect(await page.textContent('#predict-label')).toBe(String(expected.body.predictions[0]));
    const cells = await page.locator('#predict-probabilities tbody td:nth-child(2)').allTextContents();
    expect(cells).toEqual(expected.body.probabilities[0].map((p: number) => `${(p * 100).toFixed(2)} %`));
    expect(await page.textContent('#predict-latency')).toMatch(/^[\d.]+ ms round trip from this page; [\d.]+ ms in the model \(fraud /);
  });

  it("shows the server's 422 reason next to the field with the bad value, and focuses it", async () => {
    await fillRow(ROW);
    await page.fill('#feature-3', 'abc');
    await page.click('#predict-button');
    await page.waitForSelector('#feature-3[aria-invalid="true"]');
    const direct = await post('/predict', { inputs: Object.fromEntries(NAMES.map((name, j) => [name, [j === 3 ? 'abc' : ROW[j]]])) });
    expect(direct.status).toBe(422);
    expect(direct.body.error.field).toBe(`inputs.${NAMES[3]}[0]`);
    expect(await page.textContent('#feature-3-error')).toBe(direct.body.error.message.slice(`${direct.body.error.field}: `.length));
    expect(await page.textContent('#feature-3-error')).toBe('expected a finite number, got the string "abc"');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('feature-3');
    expect(await page.textContent('#predict-status')).toContain('422');
    expect(await axeViolations()).toEqual([]);

    // A number float32 cannot hold is the server's call too.
    await page.fill('#feature-3', '1e39');
    await page.click('#predict-button');
    await expect.poll(() => page.textContent('#feature-3-error')).toBe('1e+39 is outside the float32 range');
    await page.fill('#feature-3', String(ROW[3]));
    await page.click('#predict-button');
    await page.waitForSelector('#predict-result:not([hidden])');
    expect(await page.textContent('#feature-3-error')).toBe('');
  });

  it('runs an uploaded CSV through /batch_predict, shows the table and downloads it', async () => {
    const rows = [ROW, RISKY, ROW.map((v) => v * 2), RISKY.map((v) => v / 2), ROW];
    // Columns in another order than the model's: the header names them.
    const order = [...NAMES.keys()].reverse();
    const csv = [order.map((j) => NAMES[j]).join(','), ...rows.map((row) => order.map((j) => row[j]).join(','))].join('\n');
    const file = path.join(work, 'transactions.csv');
    writeFileSync(file, `${csv}\n`);
    const expected = await post('/batch_predict', {
      instances: rows.map((row) => Object.fromEntries(NAMES.map((name, j) => [name, row[j]]))),
      return_probabilities: true,
    });

    await page.setInputFiles('#csv-file', file);
    await page.click('#batch-button');
    await page.waitForSelector('#batch-result:not([hidden])');
    expect(await page.locator('#batch-table tbody tr').count()).toBe(rows.length);
    expect(await page.locator('#batch-table tbody td:nth-child(2)').allTextContents()).toEqual(expected.body.predictions.map(String));
    expect(await page.textContent('#batch-summary')).toMatch(/^5 predictions in [\d.]+ ms round trip/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#batch-download')]);
    const saved = path.join(work, 'predictions.csv');
    await download.saveAs(saved);
    const lines = readFileSync(saved, 'utf8').trim().split(/\r\n/);
    expect(lines[0]).toBe(['row', 'prediction', 'p_0', 'p_1', ...order.map((j) => NAMES[j])].join(','));
    expect(lines).toHaveLength(rows.length + 1);
    expect(lines[2]!.split(',').slice(0, 4)).toEqual([
      '2',
      String(expected.body.predictions[1]),
      ...expected.body.probabilities[1].map(String),
    ]);
    expect(await axeViolations()).toEqual([]);
  });

  it('takes pasted CSV without a header in feature order, and names the row and column of a bad value', async () => {
    await page.setInputFiles('#csv-file', []);
    await page.fill('#csv-text', `${ROW.join(',')}\n${RISKY.join(',')}\n`);
    await page.click('#batch-button');
    await expect.poll(() => page.locator('#batch-table tbody tr').count()).toBe(2);

    await page.fill('#csv-text', `${NAMES.join(',')}\n${ROW.join(',')}\n${ROW.map((v, j) => (j === 5 ? 'n/a' : v)).join(',')}\n`);
    await page.click('#batch-button');
    await expect
      .poll(() => page.textContent('#batch-status'))
      .toBe(`The server answered 422 in row 2, column ${NAMES[5]}: expected a finite number, got the string "n/a"`);
    expect(await page.getAttribute('#batch-status', 'role')).toBe('alert');
  });

  it('updates the live charts from the server metrics as predictions arrive', async () => {
    const before = Number(await page.getAttribute('#chart-rps', 'data-points'));
    for (let i = 0; i < 40; i++) expect((await post('/predict', { features: ROW })).status).toBe(200);
    // The next poll (every 2 s) adds a point holding those requests.
    await expect
      .poll(async () => Number(await page.getAttribute('#chart-rps', 'data-points')), { timeout: 10_000 })
      .toBeGreaterThan(before);
    expect(JSON.parse((await page.getAttribute('#chart-rps', 'data-last'))!)[0]).toBeGreaterThan(0);
    const [p50, p99] = JSON.parse((await page.getAttribute('#chart-latency', 'data-last'))!) as number[];
    expect(p50).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(p50!);
    expect(await page.textContent('#live-summary')).toMatch(/^Latest: [\d.]+ requests\/s, p50 [\d.]+ ms, p99 [\d.]+ ms/);
    // A canvas was drawn for each chart.
    expect(await page.locator('.chart canvas').count()).toBe(3);
  });

  it('is the same page at /ui/, and broke neither its CSP nor the same-origin rule', async () => {
    const shot = path.join(work, 'page.png');
    await page.fill('#csv-text', `${NAMES.join(',')}\n${ROW.join(',')}\n${RISKY.join(',')}\n`);
    await page.click('#batch-button');
    await expect.poll(() => page.locator('#batch-table tbody tr').count()).toBe(2);
    await fillRow(RISKY);
    await page.click('#predict-button');
    await page.waitForSelector('#predict-result:not([hidden])');
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    if (process.env.MLP_PAGE_SCREENSHOT) copyFileSync(shot, process.env.MLP_PAGE_SCREENSHOT);

    expect(await page.evaluate('window.cspViolations')).toEqual([]);
    await page.goto(`${base}/ui/`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('#feature-fields input').count()).toBe(NAMES.length);
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
