import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/lib/errors.js';
import { runMlp } from './support/run-mlp.js';
import { trainingEnv } from './support/training-env.js';

const example = path.resolve(import.meta.dirname, '..', 'examples', 'fraud');

const env = trainingEnv();

interface TrainDocument {
  ok: boolean;
  model: string;
  version: string;
  dir: string;
  latest: boolean;
  metrics: Record<string, unknown>;
}

interface ListDocument {
  ok: boolean;
  model: string;
  versions: Array<{ version: string; latest: boolean; dir: string; metrics?: Record<string, number> }>;
}

/** A copy of examples/fraud, so training never writes into the repository. */
function exampleCopy(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'mlp-train-')), 'fraud');
  cpSync(example, dir, { recursive: true, filter: (source) => !source.includes(`${path.sep}.mlp`) });
  return dir;
}

function projectWith(training: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlp-train-'));
  const yaml = ['apiVersion: mlp/v1', 'name: broken', 'services:', '  - name: broken', '    model: { source: training }', training].join(
    '\n',
  );
  writeFileSync(path.join(dir, 'mlp.yaml'), `${yaml}\n`);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function registered(dir: string, model: string): string[] {
  const root = path.join(dir, '.mlp', 'models', model);
  return existsSync(root) ? readdirSync(root) : [];
}

describe('mlp train on examples/fraud', () => {
  it('trains, validates and registers a version, twice, and lists them newest first', async () => {
    const dir = exampleCopy();

    const first = await runMlp(['train', '-C', dir], { env });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain('[train] training GradientBoostingClassifier');
    expect(first.stdout).toMatch(/Registered fraud version \d{8}T\d{6}Z \(latest\)/);

    const second = await runMlp(['train', '-C', dir, '--json'], { env });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain('reusing virtualenv');
    const result = JSON.parse(second.stdout) as TrainDocument;
    expect(result).toMatchObject({
      ok: true,
      model: 'fraud',
      latest: true,
      dir: path.join(dir, '.mlp', 'models', 'fraud', result.version),
    });

    // The registered directory is what the serving app loads.
    expect(readdirSync(result.dir).sort()).toEqual(['metadata.json', 'metrics.json', 'model.onnx']);
    const metadata = JSON.parse(readFileSync(path.join(result.dir, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      model_name: 'fraud',
      model_version: result.version,
      model_type: 'GradientBoostingClassifier',
      classes: [0, 1],
    });
    expect(metadata.feature_names).toHaveLength(20);
    expect(metadata.feature_names).toContain('merchant_risk_score');
    const metrics = JSON.parse(readFileSync(path.join(result.dir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    expect(metrics.roc_auc).toBeGreaterThan(0.8);
    expect(metrics.accuracy).toBeGreaterThan(0.9);
    expect(metrics.precision).toBeGreaterThan(0.3);
    expect(metrics.recall).toBeGreaterThan(0.1);
    expect(metrics.data_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(metrics.git_sha).toBeNull(); // the copy is not a git checkout
    expect(result.metrics).toEqual(metrics);
    expect(readFileSync(path.join(dir, '.mlp', 'models', 'fraud', 'latest'), 'utf8').trim()).toBe(result.version);

    const list = await runMlp(['train', '-C', dir, '--list', '--json'], { env });
    expect(list.exitCode, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as ListDocument;
    expect(listed.versions).toHaveLength(2);
    expect(listed.versions[0]).toMatchObject({ version: result.version, latest: true });
    expect(listed.versions[1]?.latest).toBe(false);
    expect(listed.versions[1]!.version < result.version).toBe(true);
    // Same data, same seed: both versions have the same data hash.
    expect(listed.versions[1]?.metrics?.data_hash).toBe(metrics.data_hash);

    const table = await runMlp(['train', '-C', dir, '--list'], { env });
    expect(table.stdout.split('\n')[0]).toMatch(/^VERSION\s+LATEST\s+ACCURACY\s+PRECISION\s+RECALL\s+ROC_AUC$/);
    expect(table.stdout).toMatch(new RegExp(`${result.version}\\s+latest\\s+0\\.\\d{4}`));
  }, 900_000);
});

describe('mlp train failures register nothing', () => {
  it('a failing training command exits with the training code and shows its output', async () => {
    const dir = projectWith(`training:\n  command: python3 -c "import sys; print('boom'); sys.exit(3)"`);
    const run = await runMlp(['train', '-C', dir], { env });
    expect(run.exitCode).toBe(EXIT_CODES.training.code);
    expect(run.stderr).toContain('boom');
    expect(run.stderr).toContain('exited with code 3');
    expect(run.stdout).toBe('');
    expect(registered(dir, 'broken')).toEqual([]);
    expect(readdirSync(path.join(dir, '.mlp', 'staging'))).toEqual([]);
  });

  it('a model that does not load exits with the training code and names the file', async () => {
    const script = [
      'import json, os',
      'out = os.environ["MLP_OUTPUT_DIR"]',
      'open(os.path.join(out, "model.onnx"), "w").write("not an onnx model")',
      'json.dump({"model_name": "broken", "model_version": os.environ["MLP_MODEL_VERSION"], "model_type": "none",',
      '           "feature_names": ["a"], "classes": [0, 1], "training_metrics": {}, "created_at": "2025-01-01T00:00:00Z"},',
      '          open(os.path.join(out, "metadata.json"), "w"))',
    ].join('\n');
    const dir = projectWith('training:\n  command: [python3, write_invalid.py]', { 'write_invalid.py': script });
    const run = await runMlp(['train', '-C', dir, '--json'], { env });
    expect(run.exitCode).toBe(EXIT_CODES.training.code);
    expect(run.stderr).toMatch(/model\.onnx does not load in onnxruntime/);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { kind: 'training', exitCode: 10 } });
    expect(registered(dir, 'broken')).toEqual([]);
  });

  it('a missing program is a prerequisite error naming it', async () => {
    const dir = projectWith('training:\n  command: mlp-missing-python3 train.py --out ${MLP_OUTPUT_DIR}');
    const run = await runMlp(['train', '-C', dir], { env });
    expect(run.exitCode).toBe(EXIT_CODES.prerequisite.code);
    expect(run.stderr).toContain('mlp-missing-python3 was not found');
    expect(registered(dir, 'broken')).toEqual([]);
  });

  it('a missing training section is a config error that shows the section to add', async () => {
    const dir = projectWith('');
    const run = await runMlp(['train', '-C', dir], { env });
    expect(run.exitCode).toBe(EXIT_CODES.config.code);
    expect(run.stderr).toContain('no training section');
    expect(run.stderr).toContain('command: python train.py --out ${MLP_OUTPUT_DIR}');
  });
});

describe('mlp train options', () => {
  it('--list before any training says how to train', async () => {
    const dir = projectWith('training:\n  command: python3 train.py');
    mkdirSync(path.join(dir, '.mlp'));
    const run = await runMlp(['train', '-C', dir, '--list'], { env });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('No versions of broken are registered yet');
    const json = await runMlp(['train', '-C', dir, '--list', '--json'], { env });
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, model: 'broken', versions: [] });
  });

  it('--remote without training.remote.artifacts says where the model would have to go, and changes nothing', async () => {
    const run = await runMlp(['train', '-C', example, '--remote'], { env });
    expect(run.exitCode).toBe(EXIT_CODES.config.code);
    expect(run.stderr).toContain('training.remote.artifacts');
    expect(run.stderr).toContain('is required when remote training is enabled');
    const both = await runMlp(['train', '-C', example, '--remote', '--local'], { env });
    expect(both.exitCode).toBe(EXIT_CODES.usage.code);
  });
});
