/**
 * The local target's deploy and test stages: each service's built image runs as a container on this machine's
 * engine, published on 127.0.0.1:<services[].port>, as `mlp-<project>-<service>`. Like a Deployment's old
 * ReplicaSet, the container it replaces is kept, stopped, as `…-previous`: a new container that never becomes
 * ready, or fails its smoke test, is removed and the previous one started again.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandContext } from '../context.js';
import type { ProjectConfig } from '../config/load.js';
import type { ServiceConfig } from '../config/schema.js';
import {
  containerLogs,
  containerState,
  dockerCliFor,
  localImage,
  removeContainer,
  renameContainer,
  runContainer,
  startContainer,
  stopContainer,
  type DockerCli,
} from '../docker.js';
import { MlpError } from '../errors.js';
import { fetchWithin } from '../http.js';
import { readBuildRecord } from '../image/build-record.js';
import { containerKey, recordRelease } from '../pipeline/run-releases.js';
import { cpuMillis, memoryBytes } from '../render/quantities.js';
import { maskSecret } from '../github-actions/masking.js';
import type { LocalDeployResult } from './deploy-result.js';
import { containerAwsCredentials, credentialsRunningOut } from './local-aws-credentials.js';
import { sameRelease, serviceConfigHash, type ReleaseIdentity } from './release-identity.js';

const CONTAINER_PORT = 8080;
const LOG_LINES = 20;
/** The serviceConfigHash a container was started with: half of its release identity (the image id is the other). */
const RELEASE_CONFIG_LABEL = 'dev.mlp.config-hash';
/** When the AWS session a SageMaker-backed container was given runs out (local-aws-credentials.ts). */
const CREDENTIALS_EXPIRY_LABEL = 'dev.mlp.aws-credentials-expire';

export const containerName = (project: string, service: string): string => `mlp-${project}-${service}`;
const previousName = (name: string): string => `${name}-previous`;
export const serviceUrl = (service: ServiceConfig): string => `http://127.0.0.1:${service.port}`;

export function localServices(project: ProjectConfig): ServiceConfig[] {
  const services = project.config.services;
  const ports = new Map<number, string>();
  for (const service of services) {
    const other = ports.get(service.port);
    if (other)
      throw new MlpError('config', `Services ${other} and ${service.name} both use port ${service.port} on this machine.`, {
        hint: 'give each service its own services[].port',
      });
    ports.set(service.port, service.name);
  }
  return [...services];
}

/** One /ready probe (docker-proxy accepts connections before the server in the container listens). */
async function isReady(url: string): Promise<boolean> {
  return fetchWithin(`${url}/ready`, {}, 2000).then(
    (answer) => answer.ok,
    () => false,
  );
}

/** Waits for /ready; fails at once when the container exits (a bad model, a crash), with its last log lines. */
async function awaitReady(cli: DockerCli, name: string, url: string, deadline: number, signal: AbortSignal): Promise<void> {
  while (Date.now() < deadline) {
    if (await isReady(url)) return;
    const state = await containerState(cli, name);
    if (!state?.running) {
      throw new MlpError('rollout', `${name} exited (code ${state?.exitCode ?? '?'}) before it became ready.`, {
        details: await containerLogs(cli, name, LOG_LINES),
      });
    }
    await sleep(250, undefined, { signal });
  }
  throw new MlpError('rollout', `${name} did not answer ${url}/ready within deploy.timeoutSeconds.`, {
    details: await containerLogs(cli, name, LOG_LINES),
  });
}

async function deployService(
  context: CommandContext,
  project: ProjectConfig,
  cli: DockerCli,
  service: ServiceConfig,
): Promise<LocalDeployResult> {
  const record = await readBuildRecord(project.dir, service.name);
  const image = record ? `${record.repository}:${record.tags[0]}` : undefined;
  const built = image ? await localImage(cli, image) : undefined;
  if (!image || !built) {
    throw new MlpError('prerequisite', `${service.name} has no built image in the local engine.`, {
      hint: `run: mlp build --service ${service.name} (or mlp deploy without --skip-build)`,
    });
  }
  const name = containerName(project.config.name, service.name);
  const url = serviceUrl(service);
  const release: ReleaseIdentity = { image: built.id, config: serviceConfigHash(project.config, service) };
  const current = await containerState(cli, name);
  const running = current && { image: current.imageId, config: current.labels[RELEASE_CONFIG_LABEL] };
  const renew = credentialsRunningOut(current?.labels[CREDENTIALS_EXPIRY_LABEL]);
  if (current?.running && sameRelease(running, release) && !renew && (await isReady(url))) {
    context.output.info(`${service.name}: ${name} already runs ${image} with this configuration; unchanged`);
    return { service: service.name, container: name, image, url, action: 'unchanged' };
  }
  if (current?.running && sameRelease(running, release) && renew)
    context.output.info(`${service.name}: the AWS session of ${name} runs out soon; replacing it with a new one`);
  else if (current?.running && running?.image === release.image)
    context.output.info(`${service.name}: the configuration changed; replacing ${name}`);
  // Before anything is stopped: no credentials means nothing changes.
  const aws = await sagemakerEnv(context, project, service);

  if (await containerState(cli, previousName(name))) await removeContainer(cli, previousName(name));
  if (current) {
    if (current.running) await stopContainer(cli, name);
    await renameContainer(cli, name, previousName(name));
  }
  // Environment through a file that only root can read, deleted at once: service.env can hold credentials.
  const envDir = await mkdtemp(path.join(tmpdir(), 'mlp-env-'));
  const envFile = path.join(envDir, 'env');
  const env = { PORT: String(CONTAINER_PORT), ...(aws?.env ?? {}), ...(service.env ?? {}) };
  await writeFile(
    envFile,
    Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
    { mode: 0o600 },
  );
  try {
    const id = await runContainer(cli, {
      name,
      image,
      publish: { host: '127.0.0.1', hostPort: service.port, containerPort: CONTAINER_PORT },
      envFile,
      labels: {
        'dev.mlp.project': project.config.name,
        'dev.mlp.service': service.name,
        'dev.mlp.content-hash': record!.contentHash,
        [RELEASE_CONFIG_LABEL]: release.config,
        ...(aws?.expiresAt ? { [CREDENTIALS_EXPIRY_LABEL]: aws.expiresAt.toISOString() } : {}),
      },
      limits: containerLimits(service),
    });
    recordRelease(context, containerKey(name), id);
    context.output.info(`${service.name}: started ${name} from ${image} on ${url}; waiting for /ready`);
    await awaitReady(cli, name, url, Date.now() + project.config.deploy.timeoutSeconds * 1000, context.signal);
  } catch (error) {
    if (project.config.deploy.rollback) await restorePrevious(context, project, cli, service);
    throw error;
  } finally {
    await rm(envDir, { recursive: true, force: true });
  }
  context.output.info(`${service.name}: ready on ${url}`);
  return { service: service.name, container: name, image, url, action: 'started' };
}

/**
 * A SageMaker-backed service's settings, as the Deployment gives them (render-context.ts), and a short-lived AWS
 * session for its calls (local-aws-credentials.ts), masked on GitHub Actions before anything could print it.
 */
async function sagemakerEnv(
  context: CommandContext,
  project: ProjectConfig,
  service: ServiceConfig,
): Promise<{ env: Record<string, string>; expiresAt: Date | undefined } | undefined> {
  const { model } = service;
  if (model.source !== 'sagemaker') return undefined;
  const region = project.config.aws.region;
  const session = await containerAwsCredentials(context.io.env, region, context.signal);
  for (const secret of [session.env.AWS_SECRET_ACCESS_KEY, session.env.AWS_SESSION_TOKEN]) maskSecret(context.output.actions?.core, secret);
  const expiry = session.expiresAt ? `, until ${session.expiresAt.toISOString()}` : '';
  context.output.info(
    `${service.name}: AWS credentials for the container: ${session.source === 'session' ? "mlp's own session" : 'an STS session'}${expiry} (env file, never argv)`,
  );
  return {
    env: {
      MODEL_NAME: service.name,
      SAGEMAKER_ENDPOINT: model.endpoint,
      SAGEMAKER_CONTENT_TYPE: model.contentType,
      AWS_REGION: region,
      ...session.env,
    },
    expiresAt: session.expiresAt,
  };
}

/** services[].resources.limits as the engine's --cpus and --memory: the container gets what a pod would. */
function containerLimits(service: ServiceConfig): { cpus?: number; memoryBytes?: number } {
  const { cpu, memory } = service.resources.limits;
  return {
    ...(cpu === undefined ? {} : { cpus: cpuMillis(cpu) / 1000 }),
    ...(memory === undefined ? {} : { memoryBytes: memoryBytes(memory) }),
  };
}

/** Removes the new container and starts the one it replaced, when there is one, and waits until it is ready again. */
export async function restorePrevious(
  context: CommandContext,
  project: ProjectConfig,
  cli: DockerCli,
  service: ServiceConfig,
): Promise<void> {
  const name = containerName(project.config.name, service.name);
  if (await containerState(cli, name)) await removeContainer(cli, name);
  if (!(await containerState(cli, previousName(name)))) {
    context.output.warn(`${name}: nothing to roll back to (this was its first deploy); removed the failed container`);
    return;
  }
  await renameContainer(cli, previousName(name), name);
  await startContainer(cli, name);
  await awaitReady(cli, name, serviceUrl(service), Date.now() + project.config.deploy.timeoutSeconds * 1000, context.signal);
  context.output.warn(`${name}: rolled back to the previous container, which is ready again`);
}

/** Starts each service's built image unless the same release already runs. */
export async function deployLocally(context: CommandContext): Promise<LocalDeployResult[]> {
  const project = await context.loadConfig();
  const cli = dockerCliFor(context, project.dir);
  const results: LocalDeployResult[] = [];
  for (const service of localServices(project)) results.push(await deployService(context, project, cli, service));
  return results;
}

/** The deploy stage on the local target. */
export const localDeployer = {
  deploy: async (context: CommandContext) => ({ target: 'local' as const, services: await deployLocally(context) }),
};
