/**
 * The last steps every training shares, here or on the cluster: a fresh staging directory under .mlp/staging that
 * the model's files are gathered into, then validation and registration as the new version. The staging directory
 * is removed whatever happens (after a registration it has already been renamed into the registry).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { registerVersion, type ModelMetrics } from './registry.js';
import { validateModelDir, type ModelMetadata } from './validate.js';

export async function withStaging<T>(projectDir: string, version: string, use: (staging: string) => Promise<T>): Promise<T> {
  const staging = path.join(projectDir, '.mlp', 'staging', `${version}.${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  try {
    return await use(staging);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export interface RegisteredModel {
  model: string;
  version: string;
  dir: string;
  latest: true;
  metrics: ModelMetrics | undefined;
  metadata: Pick<ModelMetadata, 'model_type' | 'feature_names' | 'classes'>;
}

/** Validates the staged model (model.onnx loads and matches metadata.json) and registers it as `version`. */
export async function registerStaged(
  projectDir: string,
  name: string,
  version: string,
  staging: string,
  log: (line: string) => void,
): Promise<RegisteredModel> {
  log('validating model.onnx and metadata.json');
  const metadata = await validateModelDir(staging);
  if (metadata.model_version !== version) {
    log(`warning: metadata.json model_version is "${metadata.model_version}", registered as ${version} (read MLP_MODEL_VERSION to match)`);
  }
  const registered = await registerVersion(projectDir, name, version, staging);
  log(`registered ${name} ${version}`);
  return {
    model: name,
    version,
    dir: registered.dir,
    latest: true,
    metrics: registered.metrics,
    metadata: { model_type: metadata.model_type, feature_names: metadata.feature_names, classes: metadata.classes },
  };
}
