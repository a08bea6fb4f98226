/**
 * The build stage: one image per service (and the training image when training runs remotely), tagged by the
 * content hash of its inputs. An image whose content tag already exists is not rebuilt; a rebuild says which
 * input changed. Images build concurrently (build.concurrency).
 */
import path from 'node:path';
import { access } from 'node:fs/promises';
import type { CommandContext } from '../context.js';
import type { ProjectConfig } from '../config/load.js';
import type { ServiceConfig } from '../config/schema.js';
import { buildImage, dockerCliFor, engineInfo, hasBuildx, localImage, remoteManifest, tagImage, type DockerCli } from '../docker.js';
import { MlpError, UsageError } from '../errors.js';
import { gitRevision, type GitRevision } from '../git.js';
import { selectServices } from '../config/select-services.js';
import { runTasks } from '../tasks.js';
import {
  contentHash,
  describeChanges,
  DOCKERFILE_IN_CONTEXT,
  hashFiles,
  servingImageInputs,
  stageContext,
  type ImageInputs,
} from './build-inputs.js';
import { readBuildRecord, writeBuildRecord, type BuildRecord } from './build-record.js';
import { imageRepository, registryRepository } from './image-names.js';
import type { PlatformChoice } from './platform.js';
import { nodesPlatformForRun } from '../per-run.js';
import { trainingImageInputs, TRAINING_IMAGE } from './training-inputs.js';

export interface BuildOptions {
  /** --service: build only these. */
  services?: readonly string[] | undefined;
  /** --platform: overrides build.platform and the nodes' architecture. */
  platform?: string | undefined;
  noCache?: boolean | undefined;
  /** Only the training image (the remote train stage builds it before the services' images exist to build). */
  trainingOnly?: boolean | undefined;
}

export interface ImageBuildResult {
  service: string;
  /** repository:contentTag in the local engine. */
  image: string;
  tags: string[];
  contentHash: string;
  platform: string;
  action: 'built' | 'skipped';
  /** Why it was built (which inputs changed) or skipped (where the image already is). */
  reasons: string[];
  imageId?: string;
  seconds: number;
}

interface BuildSession {
  project: ProjectConfig;
  cli: DockerCli;
  platform: PlatformChoice;
  /** Asked only when an image is actually built: a no-op build should not pay for starting the plugin. */
  buildx: () => Promise<boolean>;
  git: GitRevision;
  secrets: Record<string, string>;
  noCache: boolean;
}

/** What one image is: a service's serving image or the training image. */
interface ImageTarget {
  name: string;
  inputs: () => Promise<ImageInputs>;
}

/** The length of the content tag: 16 hex digits (64 bits) is unique enough per repository and readable. */
const CONTENT_TAG_LENGTH = 16;

async function openSession(context: CommandContext, options: BuildOptions): Promise<BuildSession> {
  // The engine and git are asked while mlp.yaml loads: on a no-op build these waits are most of the time.
  const cli = dockerCliFor(context, context.dir);
  const asked = Promise.all([engineInfo(cli), gitRevision(context.dir, context.io.env, context.signal)]);
  asked.catch(() => undefined); // awaited below; this only keeps a failure from being "unhandled" while the config loads
  const project = await context.loadConfig();
  const [engine, git] = await asked;
  const { config } = project;
  let platform: PlatformChoice;
  if (options.platform !== undefined) {
    if (!/^linux\/(amd64|arm64)$/.test(options.platform))
      throw new UsageError(`--platform ${options.platform}: mlp builds linux/amd64 or linux/arm64.`);
    platform = { platform: options.platform, source: '--platform' };
  } else if (config.build.platform !== undefined) platform = { platform: config.build.platform, source: 'build.platform' };
  else if (config.deploy.target === 'eks') platform = await nodesPlatformForRun(context);
  else platform = { platform: engine.platform, source: `the local Docker engine (${engine.serverVersion})` };

  const caFile = config.build.caFile ? path.resolve(project.dir, config.build.caFile) : context.io.env.NODE_EXTRA_CA_CERTS;
  const secrets: Record<string, string> = {};
  if (caFile) {
    await access(caFile).catch(() => {
      throw new MlpError('config', `${config.build.caFile ? 'build.caFile' : 'NODE_EXTRA_CA_CERTS'}: ${caFile} does not exist.`, {
        hint: "point it at the PEM bundle of your proxy's CA, or unset it",
      });
    });
    secrets.ca = caFile;
  }
  return {
    project,
    cli,
    platform,
    buildx: once(() => hasBuildx(cli)),
    git,
    secrets,
    noCache: options.noCache === true,
  };
}

function imageTargets(project: ProjectConfig, services: readonly ServiceConfig[], platform: string): ImageTarget[] {
  const targets: ImageTarget[] = services.map((service) => ({
    name: service.name,
    inputs: () => servingImageInputs(project, service, platform),
  }));
  const training = project.config.training;
  if (training?.remote?.enabled === true)
    targets.push({ name: TRAINING_IMAGE, inputs: () => trainingImageInputs(project, training, platform) });
  return targets;
}

async function buildTarget(session: BuildSession, target: ImageTarget, log: (line: string) => void): Promise<ImageBuildResult> {
  const started = Date.now();
  const { project, cli, platform } = session;
  const previous = await readBuildRecord(project.dir, target.name);
  const inputs = await target.inputs();
  const files = await hashFiles(inputs.files, previous?.files);
  const hash = contentHash(files, inputs.args);
  const repository = imageRepository(project.config.name, target.name);
  const contentTag = hash.slice(0, CONTENT_TAG_LENGTH);
  const gitTag = session.git.sha ? `git-${session.git.sha.slice(0, 12)}${session.git.dirty ? '-dirty' : ''}` : undefined;
  const tags = [contentTag, ...(gitTag ? [gitTag] : [])];
  const image = `${repository}:${contentTag}`;
  const done = (action: ImageBuildResult['action'], reasons: string[], imageId?: string): ImageBuildResult => ({
    service: target.name,
    image,
    tags,
    contentHash: hash,
    platform: platform.platform,
    action,
    reasons,
    ...(imageId ? { imageId } : {}),
    seconds: (Date.now() - started) / 1000,
  });
  const record = (imageId: string): BuildRecord => ({
    service: target.name,
    repository,
    contentHash: hash,
    tags,
    imageId,
    platform: platform.platform,
    ...(inputs.modelVersion ? { modelVersion: inputs.modelVersion } : {}),
    ...(session.git.sha ? { gitSha: session.git.sha } : {}),
    builtAt: new Date().toISOString(),
    files,
    args: inputs.args,
    // A push of the same content stays valid: the digest is of these very bytes.
    ...(previous?.contentHash === hash && previous.pushed ? { pushed: previous.pushed } : {}),
  });

  if (!session.noCache) {
    const local = await localImage(cli, image);
    if (local) {
      if (gitTag) await tagImage(cli, image, `${repository}:${gitTag}`);
      if (previous?.contentHash !== hash || previous.imageId !== local.id) await writeBuildRecord(project.dir, record(local.id));
      log(`${target.name}: ${image} is up to date (exists locally); not rebuilt`);
      return done('skipped', ['exists locally']);
    }
    const remoteRepository = project.config.registry ? tryRegistryRepository(project, target.name) : undefined;
    if (remoteRepository) {
      const remoteRef = `${remoteRepository}:${contentTag}`;
      // Asked with the user's own Docker credentials; a registry that can't be asked just means "build".
      const remote = await remoteManifest(cli, remoteRef, undefined).catch(() => undefined);
      if (remote) {
        log(`${target.name}: ${remoteRef} exists in the registry; not rebuilt`);
        return done('skipped', [`exists in ${remoteRef.split('/')[0]}`]);
      }
    }
  }

  const changes = session.noCache ? ['--no-cache'] : describeChanges(previous, { files, args: inputs.args });
  const buildx = await session.buildx();
  log(
    `${target.name}: building ${image} for ${platform.platform} with ${buildx ? 'docker buildx' : 'docker build (BuildKit; no buildx plugin)'} (${changes.join(', ')})`,
  );
  const contextDir = path.join(project.dir, '.mlp', 'build', target.name, 'context');
  await stageContext(contextDir, inputs.files);
  const { imageId } = await buildImage(cli, {
    contextDir,
    dockerfile: path.join(contextDir, DOCKERFILE_IN_CONTEXT),
    tags: tags.map((tag) => `${repository}:${tag}`),
    platform: platform.platform,
    buildArgs: {
      ...Object.fromEntries(Object.entries(inputs.args).filter(([name]) => name !== 'platform')),
      SOURCE_URL: session.git.sourceUrl ?? '',
      REVISION: session.git.sha ?? '',
      MODEL_VERSION: inputs.modelVersion ?? '',
      MLP_CONTENT_HASH: hash,
    },
    secrets: session.secrets,
    noCache: session.noCache,
    buildx,
    onLine: (line) => log(`${target.name} | ${line}`),
  }).catch((error: unknown) => {
    if (error instanceof MlpError && error.kind === 'build') {
      throw new MlpError('build', `${target.name}: ${error.message}`, {
        details: error.details,
        hint: `the build context is in ${contextDir}`,
      });
    }
    throw error;
  });
  await writeBuildRecord(project.dir, record(imageId));
  log(`${target.name}: built ${image} (${imageId.slice(7, 19)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return done('built', changes, imageId);
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** The registry repository when it can be named without asking AWS (ECR without url needs the account). */
function tryRegistryRepository(project: ProjectConfig, image: string): string | undefined {
  try {
    return registryRepository(project.config, image);
  } catch {
    return undefined;
  }
}

/** Builds the project's images as tasks; what `mlp build` and the deploy pipeline's build stage run. */
export async function buildProject(
  context: CommandContext,
  options: BuildOptions = {},
  display: 'tasks' | 'lines' = 'tasks',
): Promise<ImageBuildResult[]> {
  const session = await openSession(context, options);
  const { project } = session;
  const services = options.trainingOnly === true ? [] : selectServices(project.config, options.services);
  context.output.info(`images for ${session.platform.platform} (from ${session.platform.source})`);
  const targets = imageTargets(project, services, session.platform.platform);
  const results: ImageBuildResult[] = [];
  // Build output is for --verbose; the summary lines and a failure's step and log tail are always shown.
  const log = (line: string): void => (line.includes(' | ') ? context.output.debug(line) : context.output.info(line));
  const concurrency = project.config.build.concurrency;
  const build = async (target: ImageTarget): Promise<void> => {
    results.push(await buildTarget(session, target, log));
  };
  if (display === 'tasks') {
    const tasks = targets.map((target) => ({ title: `build ${target.name}`, run: () => build(target) }));
    await runTasks(context.output, tasks, context.signal, { concurrent: concurrency });
  } else {
    await inBatches(targets, concurrency, build);
  }
  return targets.map((target) => results.find((result) => result.service === target.name)!);
}

/** Runs `work` on every item, at most `limit` at a time; the first failure rejects once the running ones settle. */
async function inBatches<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  });
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The deploy pipeline's build stage: inside the pipeline's own task list, so plain lines. */
export const buildStage = (context: CommandContext): Promise<ImageBuildResult[]> => buildProject(context, {}, 'lines');
