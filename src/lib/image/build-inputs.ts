/**
 * What goes into a service's image, as files: the Dockerfile, the bundled server, the pinned runtime lockfile and
 * the model. The content hash of these files (plus the build arguments that change the image) is the image's tag,
 * so an unchanged service is never rebuilt and a changed one says which input changed.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProjectConfig } from '../config/load.js';
import type { ServiceConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import { packageFile } from '../package-root.js';
import { modelDir, readLatest } from '../model/registry.js';

/** A file of the build context: where it comes from and where it goes in the context. */
export interface ContextFile {
  /** Path inside the build context, with "/" separators. */
  path: string;
  source: string;
}

/** A context file with its content hash; size and mtime let the next build skip re-hashing an unchanged file. */
export interface HashedFile {
  path: string;
  sha256: string;
  size: number;
  mtimeMs: number;
}

export interface ImageInputs {
  files: ContextFile[];
  /** Build arguments that change the image (base image, platform); part of the hash. */
  args: Record<string, string>;
  /** The model version inside the image, for its label; undefined for a SageMaker proxy. */
  modelVersion?: string;
}

export const DOCKERFILE_IN_CONTEXT = 'Dockerfile';
const RUNTIME_FILES = ['package.json', 'package-lock.json', '.npmrc'];

/** The serving image's inputs for one service. */
export async function servingImageInputs(project: ProjectConfig, service: ServiceConfig, platform: string): Promise<ImageInputs> {
  const { config, dir } = project;
  const dockerfile =
    config.build.dockerfile === undefined ? packageFile('templates/docker/serving.Dockerfile') : path.resolve(dir, config.build.dockerfile);
  await requireFile(dockerfile, config.build.dockerfile === undefined ? "mlp's serving Dockerfile" : 'build.dockerfile');
  const files: ContextFile[] = [
    { path: DOCKERFILE_IN_CONTEXT, source: dockerfile },
    { path: 'server.js', source: packageFile('dist/serving/server.js') },
    ...RUNTIME_FILES.map((name) => ({ path: `runtime/${name}`, source: packageFile(`templates/docker/serving-runtime/${name}`) })),
  ];
  const model = await modelFiles(project, service);
  files.push(...model.files);
  return {
    files,
    args: { BASE_IMAGE: config.build.baseImage, platform },
    ...(model.version ? { modelVersion: model.version } : {}),
  };
}

async function modelFiles(project: ProjectConfig, service: ServiceConfig): Promise<{ files: ContextFile[]; version?: string }> {
  const source = service.model;
  if (source.source === 'sagemaker') {
    // A SageMaker proxy serves no model.onnx, but the serving app still validates requests with metadata.json.
    if (source.metadata === undefined) {
      throw new MlpError(
        'config',
        `Service ${service.name} proxies SageMaker endpoint ${source.endpoint}, and its image needs the model's metadata.json (feature_names, classes).`,
        {
          hint: `set services[].model.metadata to that file, e.g. metadata: models/${service.name}/metadata.json`,
        },
      );
    }
    const file = path.resolve(project.dir, source.metadata);
    await requireFile(file, `services[].model.metadata of ${service.name}`);
    return { files: [{ path: 'model/metadata.json', source: file }] };
  }
  let dir: string;
  let version: string | undefined;
  if (source.source === 'dir') {
    dir = path.resolve(project.dir, source.path);
    version = path.basename(dir);
  } else {
    version = await readLatest(project.dir, project.config.name);
    if (version === undefined) {
      throw new MlpError(
        'prerequisite',
        `Service ${service.name} serves the trained model, and no version of ${project.config.name} is registered.`,
        {
          hint: 'run "mlp train" first (or "mlp deploy", which trains before it builds)',
        },
      );
    }
    dir = path.join(modelDir(project.dir, project.config.name), version);
  }
  const names = await readdir(dir).catch(() => {
    throw new MlpError('config', `Service ${service.name}: the model directory ${dir} does not exist.`, { hint: 'check services[].model' });
  });
  if (!names.includes('model.onnx')) {
    throw new MlpError('config', `Service ${service.name}: ${dir} has no model.onnx.`, {
      hint: 'a model directory holds model.onnx and metadata.json, as "mlp train" writes them',
    });
  }
  const files: ContextFile[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    if ((await stat(file)).isFile()) files.push({ path: `model/${name}`, source: file });
  }
  return { files, version };
}

async function requireFile(file: string, what: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new MlpError('config', `${what}: ${file} does not exist.`);
}

/** Hashes every file, reusing a previous hash when the file's size and mtime are unchanged (models can be large). */
export async function hashFiles(files: readonly ContextFile[], previous: readonly HashedFile[] = []): Promise<HashedFile[]> {
  const known = new Map(previous.map((file) => [file.path, file]));
  return Promise.all(
    files.map(async (file) => {
      const info = await stat(file.source);
      const before = known.get(file.path);
      if (before && before.size === info.size && before.mtimeMs === info.mtimeMs) return before;
      return { path: file.path, sha256: await sha256File(file.source), size: info.size, mtimeMs: info.mtimeMs };
    }),
  );
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** The image's content hash: every file's path and hash, and the arguments, in a stable order. */
export function contentHash(files: readonly HashedFile[], args: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) hash.update(`file ${file.path} ${file.sha256}\n`);
  for (const [name, value] of Object.entries(args).sort(([a], [b]) => a.localeCompare(b))) hash.update(`arg ${name}=${value}\n`);
  return hash.digest('hex');
}

/** What differs between the last build's inputs and these, in words: "model/model.onnx changed", "BASE_IMAGE changed". */
export function describeChanges(
  before: { files: readonly HashedFile[]; args: Readonly<Record<string, string>> } | undefined,
  after: { files: readonly HashedFile[]; args: Readonly<Record<string, string>> },
): string[] {
  if (!before) return ['no earlier build of this service'];
  const changes: string[] = [];
  const old = new Map(before.files.map((file) => [file.path, file.sha256]));
  for (const file of after.files) {
    const was = old.get(file.path);
    if (was === undefined) changes.push(`${file.path} added`);
    else if (was !== file.sha256) changes.push(`${file.path} changed`);
    old.delete(file.path);
  }
  for (const gone of old.keys()) changes.push(`${gone} removed`);
  for (const name of new Set([...Object.keys(before.args), ...Object.keys(after.args)])) {
    if (before.args[name] !== after.args[name])
      changes.push(`${name} changed (${before.args[name] ?? 'unset'} → ${after.args[name] ?? 'unset'})`);
  }
  return changes.length > 0 ? changes : ['the image is missing although its inputs are unchanged'];
}

/** Lays the files out as a fresh build context: hard links where possible (a model can be gigabytes), else copies. */
export async function stageContext(contextDir: string, files: readonly ContextFile[]): Promise<void> {
  await rm(contextDir, { recursive: true, force: true });
  for (const file of files) {
    const target = path.join(contextDir, ...file.path.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await link(file.source, target).catch(() => copyFile(file.source, target));
  }
  // The Dockerfile's COPY model/ needs the directory even when there is no model (a SageMaker proxy).
  await mkdir(path.join(contextDir, 'model'), { recursive: true });
}
