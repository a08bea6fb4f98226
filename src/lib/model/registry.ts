/**
 * The local model registry: `<project>/.mlp/models/<name>/<version>/` holds one trained model (model.onnx,
 * metadata.json, usually metrics.json) and `<name>/latest` names the newest registered version. Versions are
 * UTC timestamps (`20250101T120000Z`), so their lexical order is their age.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const VERSION_PATTERN = /^\d{8}T\d{6}Z$/;

/** The metrics mlp shows in `train --list`; any other numbers in metrics.json are kept as they are. */
export interface ModelMetrics {
  accuracy?: number;
  precision?: number;
  recall?: number;
  roc_auc?: number;
  [key: string]: unknown;
}

export interface ModelVersion {
  version: string;
  dir: string;
  latest: boolean;
  /** metrics.json, or undefined when the version has none (or it does not parse). */
  metrics: ModelMetrics | undefined;
}

export function modelsRoot(projectDir: string): string {
  return path.join(projectDir, '.mlp', 'models');
}

export function modelDir(projectDir: string, name: string): string {
  return path.join(modelsRoot(projectDir), name);
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatVersion(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A version for a model trained now, one second later than `now` for as long as that version is taken, so two
 * runs in the same second never share a directory.
 */
export async function nextVersion(projectDir: string, name: string, now: Date = new Date()): Promise<string> {
  const taken = new Set(await versionNames(modelDir(projectDir, name)));
  let at = now.getTime();
  while (taken.has(formatVersion(new Date(at)))) at += 1000;
  return formatVersion(new Date(at));
}

/** The registered versions, newest first. */
export async function listVersions(projectDir: string, name: string): Promise<ModelVersion[]> {
  const root = modelDir(projectDir, name);
  const latest = await readLatest(projectDir, name);
  const versions = (await versionNames(root)).sort().reverse();
  return Promise.all(
    versions.map(async (version) => {
      const dir = path.join(root, version);
      return { version, dir, latest: version === latest, metrics: await readMetrics(dir) };
    }),
  );
}

/** The version the `latest` pointer names, or undefined before the first registration. */
export async function readLatest(projectDir: string, name: string): Promise<string | undefined> {
  try {
    const version = (await readFile(path.join(modelDir(projectDir, name), 'latest'), 'utf8')).trim();
    return VERSION_PATTERN.test(version) ? version : undefined;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Moves a validated staging directory into the registry as `version` and points `latest` at it. The staging
 * directory must be on the same filesystem (mlp stages under `<project>/.mlp/staging/`), so both steps are
 * renames: a reader never sees a half-copied version or a half-written pointer.
 */
export async function registerVersion(projectDir: string, name: string, version: string, stagingDir: string): Promise<ModelVersion> {
  if (!VERSION_PATTERN.test(version)) throw new Error(`invalid model version "${version}"`);
  const root = modelDir(projectDir, name);
  const dir = path.join(root, version);
  await mkdir(root, { recursive: true });
  if (await exists(dir)) throw new Error(`model version ${name}/${version} is already registered`);
  await rename(stagingDir, dir);
  await writeLatest(root, version);
  return { version, dir, latest: true, metrics: await readMetrics(dir) };
}

async function writeLatest(root: string, version: string): Promise<void> {
  // Written beside and renamed over: rename is atomic, and plain files work where symlinks do not.
  const temporary = path.join(root, `.latest.${process.pid}.${randomBytes(4).toString('hex')}`);
  await writeFile(temporary, `${version}\n`);
  try {
    await rename(temporary, path.join(root, 'latest'));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function versionNames(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && VERSION_PATTERN.test(entry.name)).map((entry) => entry.name);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

async function readMetrics(dir: string): Promise<ModelMetrics | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ModelMetrics) : undefined;
  } catch {
    // A version without readable metrics still lists; it just shows no numbers.
    return undefined;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
