/**
 * metadata.json, written next to model.onnx by the training script (examples/fraud/train.py is the reference):
 * `{model_name, model_version, model_type, feature_names[], classes[], training_metrics{}, created_at}`.
 * It is read once at start-up and checked strictly, because every request is validated against feature_names.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export type ClassLabel = number | string;

export interface ModelMetadata {
  model_name: string;
  model_version: string;
  model_type: string;
  feature_names: readonly string[];
  classes: readonly ClassLabel[];
  training_metrics: Record<string, unknown>;
  created_at: string | null;
}

export class ModelMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelMetadataError';
  }
}

export async function readModelMetadata(modelDir: string, modelNameOverride?: string): Promise<ModelMetadata> {
  const file = path.join(modelDir, 'metadata.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelMetadataError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ModelMetadataError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseModelMetadata(document, file, modelNameOverride);
}

/** Checks the parsed document; `source` names the file in error messages. */
export function parseModelMetadata(document: unknown, source: string, modelNameOverride?: string): ModelMetadata {
  if (!isPlainObject(document)) throw new ModelMetadataError(`${source}: expected a JSON object`);
  const problem = (field: string, expected: string): ModelMetadataError =>
    new ModelMetadataError(`${source}: ${field} must be ${expected}`);

  const { model_name, model_version, model_type, feature_names, classes, training_metrics, created_at } = document;
  if (typeof model_name !== 'string' || model_name === '') throw problem('model_name', 'a non-empty string');
  // Versions are often written as numbers ("1") by hand; accept both and serve a string.
  if (typeof model_version !== 'string' && typeof model_version !== 'number') throw problem('model_version', 'a string');
  if (!Array.isArray(feature_names) || feature_names.length === 0 || !feature_names.every((n) => typeof n === 'string' && n !== '')) {
    throw problem('feature_names', 'a non-empty array of non-empty strings');
  }
  if (new Set(feature_names).size !== feature_names.length) throw problem('feature_names', 'free of duplicates');
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'number' || typeof c === 'string')) {
    throw problem('classes', 'an array of at least two numbers or strings');
  }
  if (training_metrics !== undefined && !isPlainObject(training_metrics)) throw problem('training_metrics', 'an object');
  if (created_at !== undefined && created_at !== null && typeof created_at !== 'string') throw problem('created_at', 'a string');

  return {
    model_name: modelNameOverride ?? model_name,
    model_version: String(model_version),
    model_type: typeof model_type === 'string' ? model_type : 'unknown',
    feature_names: feature_names as string[],
    classes: classes as ClassLabel[],
    training_metrics: (training_metrics as Record<string, unknown> | undefined) ?? {},
    created_at: (created_at as string | null | undefined) ?? null,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
