import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, MlpError } from '../errors.js';
import { listVersions, readLatest } from '../model/registry.js';
import { trainModel, type TrainingSettings } from './local-trainer.js';

const fixture = path.join(import.meta.dirname, '..', 'model', 'fixtures', 'tiny-model');
const node = process.execPath;

/** A "training script" in Node: copies the tiny fixture model to $MLP_OUTPUT_DIR, stamping the version. */
const COPY_FIXTURE = `
const fs = require('node:fs'), path = require('node:path');
const out = process.env.MLP_OUTPUT_DIR;
console.log('training into ' + out);
fs.copyFileSync(path.join(${JSON.stringify(fixture)}, 'model.onnx'), path.join(out, 'model.onnx'));
const metadata = JSON.parse(fs.readFileSync(path.join(${JSON.stringify(fixture)}, 'metadata.json'), 'utf8'));
metadata.model_version = process.env.MLP_MODEL_VERSION;
fs.writeFileSync(path.join(out, 'metadata.json'), JSON.stringify(metadata));
fs.writeFileSync(path.join(out, 'metrics.json'), JSON.stringify({ accuracy: 0.5, extra: process.env.EXTRA }));
`;

async function train(training: Partial<TrainingSettings>, projectDir = mkdtempSync(path.join(tmpdir(), 'mlp-trainer-'))) {
  const lines: string[] = [];
  const run = trainModel({
    projectDir,
    name: 'tiny',
    training: { command: [node, '-e', COPY_FIXTURE], workdir: '.', timeoutSeconds: 60, ...training },
    env: { PATH: process.env.PATH },
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
  });
  return { run, lines, projectDir };
}

async function expectTrainingError(promise: Promise<unknown>, code: number = EXIT_CODES.training.code): Promise<MlpError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MlpError);
  expect((error as MlpError).exitCode, (error as Error).message).toBe(code);
  return error as MlpError;
}

function nothingRegistered(projectDir: string): void {
  expect(existsSync(path.join(projectDir, '.mlp', 'models'))).toBe(false);
  expect(readdirSync(path.join(projectDir, '.mlp', 'staging'))).toEqual([]);
}

describe('trainModel', () => {
  it('runs the command with MLP_* and training.env, validates and registers the outputs as latest', async () => {
    const { run, lines, projectDir } = await train({ env: { EXTRA: 'from mlp.yaml' } });
    const result = await run;

    expect(result.version).toMatch(/^\d{8}T\d{6}Z$/);
    expect(result.dir).toBe(path.join(projectDir, '.mlp', 'models', 'tiny', result.version));
    expect(readdirSync(result.dir).sort()).toEqual(['metadata.json', 'metrics.json', 'model.onnx']);
    expect(result.metrics).toEqual({ accuracy: 0.5, extra: 'from mlp.yaml' });
    expect(JSON.parse(readFileSync(path.join(result.dir, 'metadata.json'), 'utf8')).model_version).toBe(result.version);
    expect(await readLatest(projectDir, 'tiny')).toBe(result.version);
    expect(lines.some((line) => line.startsWith('training into '))).toBe(true);
    expect(readdirSync(path.join(projectDir, '.mlp', 'staging'))).toEqual([]);
  });

  it('a failing command registers nothing and reports its exit code and last lines', async () => {
    const { run, projectDir } = await train({ command: `node -e "console.log('boom'); process.exit(3)"` });
    const error = await expectTrainingError(run);
    expect(error.message).toContain('exited with code 3');
    expect(error.details).toContain('boom');
    nothingRegistered(projectDir);
  });

  it('outputs that do not validate register nothing', async () => {
    const { run, projectDir } = await train({
      command: [node, '-e', 'require("fs").writeFileSync(process.env.MLP_OUTPUT_DIR + "/model.onnx", "junk")'],
    });
    const error = await expectTrainingError(run);
    expect(error.message).toContain('metadata.json');
    nothingRegistered(projectDir);
  });

  it('a missing program is a prerequisite error naming it', async () => {
    const { run } = await train({ command: 'mlp-no-such-python train.py' });
    const error = await expectTrainingError(run, EXIT_CODES.prerequisite.code);
    expect(error.message).toContain('mlp-no-such-python');
  });

  it('stops a command that outlives training.timeoutSeconds', async () => {
    const { run, projectDir } = await train({ command: [node, '-e', 'setTimeout(() => {}, 60_000)'], timeoutSeconds: 1 });
    const error = await expectTrainingError(run);
    expect(error.message).toContain('timed out after 1 s');
    nothingRegistered(projectDir);
  });

  it('collects training.outputDir, which MLP_OUTPUT_DIR points at, into the new version', async () => {
    const script = COPY_FIXTURE.replace(
      'const out = process.env.MLP_OUTPUT_DIR;',
      'const out = "build/model"; if (path.resolve(out) !== process.env.MLP_OUTPUT_DIR) process.exit(9);',
    );
    const { run, projectDir } = await train({ command: [node, '-e', script], outputDir: 'build/model' });
    const result = await run;
    expect(readdirSync(result.dir).sort()).toEqual(['metadata.json', 'metrics.json', 'model.onnx']);
    expect((await listVersions(projectDir, 'tiny')).map((entry) => entry.version)).toEqual([result.version]);
  });
});
