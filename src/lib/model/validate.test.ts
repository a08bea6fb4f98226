import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, MlpError } from '../errors.js';
import { parseMetadata, validateModelDir } from './validate.js';

// A 3-feature logistic regression written by fixtures/make-fixtures.py.
const fixture = path.join(import.meta.dirname, 'fixtures', 'tiny-model');
const metadata = JSON.parse(readFileSync(path.join(fixture, 'metadata.json'), 'utf8')) as Record<string, unknown>;

function modelDirWith(changes: { metadata?: string | object; model?: Buffer | string | null } = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlp-validate-'));
  cpSync(fixture, dir, { recursive: true });
  if (changes.metadata !== undefined) {
    const text = typeof changes.metadata === 'string' ? changes.metadata : JSON.stringify(changes.metadata);
    writeFileSync(path.join(dir, 'metadata.json'), text);
  }
  if (changes.model === null) rmSync(path.join(dir, 'model.onnx'));
  else if (changes.model !== undefined) writeFileSync(path.join(dir, 'model.onnx'), changes.model);
  return dir;
}

async function failure(dir: string): Promise<MlpError> {
  const error = await validateModelDir(dir).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MlpError);
  expect((error as MlpError).exitCode).toBe(EXIT_CODES.training.code);
  return error as MlpError;
}

describe('validateModelDir', () => {
  it('accepts a model that loads, takes one float row per feature name and answers', async () => {
    const result = await validateModelDir(modelDirWith());
    expect(result.feature_names).toEqual(['a', 'b', 'c']);
  });

  it('names a missing model.onnx', async () => {
    const error = await failure(modelDirWith({ model: null }));
    expect(error.message).toContain('did not write model.onnx');
    expect(error.hint).toContain('MLP_OUTPUT_DIR');
  });

  it('names metadata.json when it is not JSON', async () => {
    const error = await failure(modelDirWith({ metadata: '{"model_name": "tiny",' }));
    expect(error.message).toMatch(/metadata\.json is not valid JSON/);
  });

  it('lists every missing or mistyped field at once', async () => {
    const { feature_names: _features, created_at: _created, ...rest } = metadata;
    const error = await failure(modelDirWith({ metadata: { ...rest, classes: 'fraud', created_at: 'yesterday' } }));
    expect(error.message).toContain('metadata.json');
    expect(error.details.join('\n')).toMatch(/feature_names: missing/);
    expect(error.details.join('\n')).toMatch(/classes: got "fraud"/);
    expect(error.details.join('\n')).toMatch(/created_at: got "yesterday", expected an ISO 8601 timestamp/);
  });

  it('refuses a model whose input width does not match feature_names', async () => {
    const error = await failure(modelDirWith({ metadata: { ...metadata, feature_names: ['a', 'b', 'c', 'd'] } }));
    expect(error.message).toMatch(/model\.onnx input "X" takes 3 features, but metadata\.json feature_names lists 4/);
  });

  it('refuses a model whose probabilities do not match classes', async () => {
    const error = await failure(modelDirWith({ metadata: { ...metadata, classes: ['legit', 'fraud', 'unsure'] } }));
    expect(error.message).toMatch(/no float32 output with one probability per class \(metadata\.json classes lists 3\)/);
  });

  it('refuses a file that is not an ONNX model', async () => {
    const error = await failure(modelDirWith({ model: 'not a model' }));
    expect(error.message).toMatch(/model\.onnx does not load in onnxruntime/);
  });
});

describe('parseMetadata', () => {
  it('rejects duplicate feature names', () => {
    expect(() => parseMetadata(JSON.stringify({ ...metadata, feature_names: ['a', 'a', 'b'] }), 'metadata.json')).toThrow(/feature_names/);
  });
});
