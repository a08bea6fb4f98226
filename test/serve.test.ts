import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/lib/errors.js';
import { runMlp } from './support/run-mlp.js';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'mlp');
const fixtureModel = path.join(root, 'serving', 'test', 'fixtures', 'fraud-model');
const VERSION = '20261123T080000Z';

/** A project whose registry holds the fixture model as its latest version. */
function projectWithRegisteredModel(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlp-serve-'));
  writeFileSync(
    path.join(dir, 'mlp.yaml'),
    'apiVersion: mlp/v1\nname: fraud\nservices:\n  - name: fraud\n    model: { source: training }\n',
  );
  const versionDir = path.join(dir, '.mlp', 'models', 'fraud', VERSION);
  mkdirSync(versionDir, { recursive: true });
  cpSync(fixtureModel, versionDir, { recursive: true });
  writeFileSync(path.join(dir, '.mlp', 'models', 'fraud', 'latest'), `${VERSION}\n`);
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `mlp serve` as a real process, waits for its "ready" line, and returns a way to stop it with Ctrl-C. */
async function startServe(args: string[]): Promise<{ stderr: () => string; interrupt: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    env: { PATH: process.env.PATH, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mlp serve did not become ready:\n${stderr}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('ready: ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`mlp serve exited ${code} before it was ready:\n${stderr}`)));
  });
  return {
    stderr: () => stderr,
    interrupt: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

describe('mlp serve', () => {
  it('serves the latest registered version until Ctrl-C, then drains and exits 0', async () => {
    const port = await freePort();
    const serve = await startServe(['-C', projectWithRegisteredModel(), '--port', String(port)]);
    expect(serve.stderr()).toContain(`fraud ${VERSION} (latest)`);

    const response = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: Array.from({ length: 20 }, () => 0.5), request_id: 'serve-test' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ request_id: 'serve-test', model_name: expect.any(String) });

    expect(await serve.interrupt()).toBe(0);
  });

  it('serves a model directory given with --model', async () => {
    const port = await freePort();
    const serve = await startServe(['--model', fixtureModel, '--port', String(port)]);
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(ready.status).toBe(200);
    expect(await serve.interrupt()).toBe(0);
  });

  it("serves a dir-sourced service's model directory from mlp.yaml", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlp-serve-dir-'));
    cpSync(fixtureModel, path.join(dir, 'model'), { recursive: true });
    writeFileSync(
      path.join(dir, 'mlp.yaml'),
      'apiVersion: mlp/v1\nname: fraud\nservices:\n  - name: fraud\n    model: { source: dir, path: model }\n',
    );
    const port = await freePort();
    const serve = await startServe(['-C', dir, '--port', String(port)]);
    expect(serve.stderr()).toContain('services[0].model.path');
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    expect(await serve.interrupt()).toBe(0);
  });

  it('says to train first when no version is registered', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlp-serve-empty-'));
    writeFileSync(
      path.join(dir, 'mlp.yaml'),
      'apiVersion: mlp/v1\nname: fraud\nservices:\n  - name: fraud\n    model: { source: training }\n',
    );
    const run = await runMlp(['serve', '-C', dir]);
    expect(run.exitCode).toBe(EXIT_CODES.prerequisite.code);
    expect(run.stderr).toContain('mlp train');
  });

  it('rejects a model directory without model.onnx, a bad port, and --model with --model-version', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'mlp-serve-nomodel-'));
    const missing = await runMlp(['serve', '--model', empty]);
    expect(missing.exitCode).toBe(EXIT_CODES.usage.code);
    expect(missing.stderr).toContain('model.onnx');
    expect((await runMlp(['serve', '--model', fixtureModel, '--port', 'http'])).exitCode).toBe(EXIT_CODES.usage.code);
    expect((await runMlp(['serve', '--model', fixtureModel, '--model-version', VERSION])).exitCode).toBe(EXIT_CODES.usage.code);
  });

  it("fails with the serve code and the server's last lines when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const run = await runMlp(['serve', '--model', fixtureModel, '--port', String(port)], { env: { PATH: process.env.PATH, CI: 'true' } });
      expect(run.exitCode).toBe(EXIT_CODES.serve.code);
      expect(run.stderr).toMatch(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
