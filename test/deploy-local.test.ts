/**
 * mlp deploy on the local target, on the real Docker engine: the built image runs as a container on 127.0.0.1,
 * is smoke-tested, is left alone when nothing changed, and a release that never becomes ready or fails its smoke
 * test is replaced by the container it replaced.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench } from './support/bench.js';
import { spawnMlp, type ProcessRun } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE_MODEL = path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model');
const TIMEOUT_MS = 10 * 60_000;

function runMlp(args: string[], cwd: string): Promise<ProcessRun> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    CI: 'true',
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
  };
  return spawnMlp(args, { cwd, env });
}

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const containerId = (name: string): string => docker('container', 'inspect', '--format', '{{.Id}}', name);

describeWithBench(['docker', 'baseImage', 'buildx'], 'mlp deploy --target local on the real engine', () => {
  let work: string;
  let project: string;
  let name: string;
  let port: number;
  const smoke = (expectStatus: number): string =>
    `    smoke:\n      - name: predict\n        method: POST\n        path: /predict\n        body: { features: [${Array.from({ length: 20 }, () => '0.5').join(', ')}], request_id: smoke }\n        expectStatus: ${expectStatus}\n`;
  const writeConfig = (expectStatus: number, extra = ''): void =>
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      `apiVersion: mlp/v1\nname: ${name}\nbuild:\n  baseImage: ${benchStatus().baseImage.image}\ndeploy:\n  target: local\n  timeoutSeconds: 60\nservices:\n  - name: api\n    model: { source: dir, path: model }\n    port: ${port}\n${smoke(expectStatus)}${extra}`,
    );

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-local-'));
    name = `l${Date.now().toString(36)}`;
    port = 20_000 + Math.floor(Math.random() * 20_000);
    project = path.join(work, name);
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writeConfig(200);
  });

  afterAll(() => {
    for (const container of [`mlp-${name}-api`, `mlp-${name}-api-previous`])
      execFileSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'builds, starts the service on 127.0.0.1 and passes its smoke test',
    async () => {
      const run = await runMlp(['deploy'], project);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`api: started mlp-${name}-api`);
      expect(run.stderr).toContain('api: smoke test predict: POST /predict → 200');
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(ready.status).toBe(200);
      expect(docker('container', 'inspect', '--format', '{{.Config.User}}', `mlp-${name}-api`)).toBe('10001:10001');
    },
    TIMEOUT_MS,
  );

  it(
    'leaves a running, ready, unchanged service alone',
    async () => {
      const before = containerId(`mlp-${name}-api`);
      const run = await runMlp(['deploy'], project);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain('unchanged');
      expect(containerId(`mlp-${name}-api`)).toBe(before);
    },
    TIMEOUT_MS,
  );

  it(
    'mlp test smoke-tests the running service and changes nothing',
    async () => {
      const before = containerId(`mlp-${name}-api`);
      const run = await runMlp(['test', '--json'], project);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).passed[0]).toMatchObject({ service: 'api' });
      expect(JSON.parse(run.stdout).passed[0].line).toContain('POST /predict → 200');
      expect(containerId(`mlp-${name}-api`)).toBe(before);
    },
    TIMEOUT_MS,
  );

  it(
    'rolls back to the previous container when the new one never becomes ready (exit 32)',
    async () => {
      const before = containerId(`mlp-${name}-api`);
      // A model file onnxruntime cannot load: the server exits during start-up.
      const broken = path.join(project, 'broken-model');
      cpSync(path.join(project, 'model'), broken, { recursive: true });
      writeFileSync(path.join(broken, 'model.onnx'), 'not an onnx model');
      writeFileSync(
        path.join(project, 'mlp.yaml'),
        readFileSync(path.join(project, 'mlp.yaml'), 'utf8').replace('path: model }', 'path: broken-model }'),
      );
      const run = await runMlp(['deploy'], project);
      expect(run.code).toBe(32);
      expect(run.stderr).toMatch(/exited \(code \d+\) before it became ready/);
      expect(run.stderr).toContain('rolled back to the previous container');
      expect(containerId(`mlp-${name}-api`)).toBe(before);
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    },
    TIMEOUT_MS,
  );

  it(
    'rolls back when the smoke test fails after a new release (exit 40), and not when nothing was released',
    async () => {
      writeConfig(200);
      const stable = containerId(`mlp-${name}-api`);
      // A new release (the model changed) whose smoke test expects a status the service never answers.
      writeFileSync(path.join(project, 'model', 'metrics.json'), '{"accuracy": 0.5}');
      writeConfig(418);
      const failed = await runMlp(['deploy'], project);
      expect(failed.code).toBe(40);
      expect(failed.stderr).toContain('Smoke test predict (POST /predict) answered 200, expected 418.');
      expect(failed.stderr).toContain('rolled back to the previous container');
      expect(containerId(`mlp-${name}-api`)).toBe(stable);

      // The same failing smoke test against the unchanged, running release: reported, nothing rolled back.
      rmSync(path.join(project, 'model', 'metrics.json'));
      const again = await runMlp(['deploy'], project);
      expect(again.code).toBe(40);
      expect(again.stderr).not.toContain('rolled back');
      expect(containerId(`mlp-${name}-api`)).toBe(stable);
    },
    TIMEOUT_MS,
  );
});
