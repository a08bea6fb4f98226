/**
 * The push stage: puts each built image in the registry under its content tag (and git tag) and records the
 * digest it got, which is what deploy runs. ECR repositories are ensured first and the ECR token is fetched once
 * per run, logged in with on stdin into a temporary Docker config that is deleted afterwards. An image the
 * registry already has is not pushed again; transient registry failures are retried with backoff; an expired
 * token is refreshed. Nothing is recorded as pushed unless the push returned a digest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { callerIdentity } from '../aws.js';
import type { CommandContext } from '../context.js';
import type { ProjectConfig } from '../config/load.js';
import { dockerCliFor, localImage, login, pushImage, remoteManifest, tagImage, type DockerCli } from '../docker.js';
import { MlpError } from '../errors.js';
import { maskSecret } from '../github-actions/masking.js';
import { readBuildRecord, writeBuildRecord, type BuildRecord } from './build-record.js';
import { selectServices } from '../config/select-services.js';
import { Ecr, type EcrToken } from './ecr.js';
import { registryHost, registryRepository, registryRepositoryName } from './image-names.js';
import { requireMatchingPlatform, type PlatformChoice } from './platform.js';
import { nodesPlatformForRun } from '../per-run.js';
import { TRAINING_IMAGE } from './training-inputs.js';

export interface PushOptions {
  services?: readonly string[] | undefined;
  /** Only the training image (see BuildOptions.trainingOnly). */
  trainingOnly?: boolean | undefined;
}

export interface ImagePushResult {
  service: string;
  /** What deploy uses: repository@sha256:… */
  reference: string;
  repository: string;
  tags: string[];
  digest: string;
  action: 'pushed' | 'skipped';
  reason: string;
  /** Push attempts (1 when the first succeeded; 0 when skipped). */
  attempts: number;
  seconds: number;
}

/** How often a push is retried after a transient failure, and the first wait (doubled each time). */
const PUSH_RETRIES = 3;
const DEFAULT_RETRY_DELAY_MS = 2000;
/** Refresh the ECR token when it has less than this left (tokens last 12 hours). */
const TOKEN_MARGIN_MS = 5 * 60_000;

const TRANSIENT =
  /connection refused|connection reset|i\/o timeout|timeout|EOF|broken pipe|no such host|TLS handshake|50[0-4]|Service Unavailable|Bad Gateway|temporarily unavailable/i;
const AUTH_EXPIRED = /authorization token has expired|token has expired|reauthenticate|no basic auth credentials/i;

/** Registry credentials for this run: for ECR a temporary Docker config holding only this run's token. */
class RegistryLogin {
  private token: EcrToken | undefined;

  private constructor(
    private readonly cli: DockerCli,
    private readonly host: string,
    private readonly ecr: Ecr | undefined,
    readonly configDir: string | undefined,
    private readonly maskSecret: (secret: string) => void,
  ) {}

  static async open(cli: DockerCli, host: string, ecr: Ecr | undefined, maskSecret: (secret: string) => void): Promise<RegistryLogin> {
    // 0700 from mkdtemp; removed in close(). Generic registries use the user's own docker login.
    const configDir = ecr ? await mkdtemp(path.join(tmpdir(), 'mlp-docker-config-')) : undefined;
    const session = new RegistryLogin(cli, host, ecr, configDir, maskSecret);
    if (ecr) await session.refresh();
    return session;
  }

  async refresh(): Promise<void> {
    if (!this.ecr || !this.configDir) return;
    this.token = await this.ecr.token();
    this.maskSecret(this.token.password);
    await login(this.cli, this.host, this.token.username, this.token.password, this.configDir);
  }

  /** Refreshes a token that is about to expire before a push starts, rather than failing half-way. */
  async current(log: (line: string) => void): Promise<void> {
    const expiresAt = this.token?.expiresAt;
    if (expiresAt === undefined || expiresAt.getTime() - Date.now() >= TOKEN_MARGIN_MS) return;
    log(`the ECR token ${expiresAt.getTime() < Date.now() ? 'expired' : 'expires'} at ${expiresAt.toISOString()}; fetching a new one`);
    await this.refresh();
  }

  async close(): Promise<void> {
    if (this.configDir) await rm(this.configDir, { recursive: true, force: true });
  }
}

interface PushTarget {
  name: string;
  record: BuildRecord;
  /** registry/repository without tag */
  repository: string;
}

export async function pushProject(context: CommandContext, options: PushOptions = {}): Promise<ImagePushResult[]> {
  const project = await context.loadConfig();
  const { config } = project;
  const names = options.trainingOnly === true ? [] : selectServices(config, options.services).map((service) => service.name);
  if (config.training?.remote?.enabled === true && !options.services?.length) names.push(TRAINING_IMAGE);
  const cli = dockerCliFor(context, project.dir);
  // On GitHub Actions the token is masked (src/lib/github-actions/masking.ts) before docker login sees it.
  const maskToken = (secret: string): void => maskSecret(context.output.actions?.core, secret);

  const records = await Promise.all(names.map((name) => requireBuilt(project, cli, name)));
  let nodes: PlatformChoice | undefined;
  if (config.deploy.target === 'eks') nodes = await nodesPlatformForRun(context);
  for (const record of records) if (nodes) requireMatchingPlatform(record.service, record.platform, nodes);

  const isEcr = config.registry?.type !== 'generic';
  const ecr = isEcr ? await Ecr.open(config.aws.region, context.signal, context.io.env) : undefined;
  try {
    const accountId =
      isEcr && !config.registry?.url && !config.aws.accountId
        ? (await callerIdentity({ region: config.aws.region, signal: context.signal, env: context.io.env })).account
        : undefined;
    const host = registryHost(config, accountId).split('/')[0]!;
    const targets: PushTarget[] = records.map((record) => ({
      name: record.service,
      record,
      repository: registryRepository(config, record.service, accountId),
    }));
    if (ecr) {
      for (const target of targets) {
        const ensured = await ecr.ensureRepository(registryRepositoryName(config, target.name), config.registry!);
        if (ensured.created)
          context.output.info(
            `created ECR repository ${ensured.name} (scan on push, lifecycle: keep ${config.registry!.keepImages} images, untagged expire after ${config.registry!.expireDays} days)`,
          );
        else if (ensured.updated) context.output.info(`updated ECR repository ${ensured.name}: scan on push and lifecycle policy`);
      }
    }
    const registryLogin = await RegistryLogin.open(cli, host, ecr, maskToken);
    try {
      const results: ImagePushResult[] = [];
      for (const target of targets) results.push(await pushTarget(context, project, cli, registryLogin, target));
      return results;
    } finally {
      await registryLogin.close();
    }
  } finally {
    ecr?.close();
  }
}

async function requireBuilt(project: ProjectConfig, cli: DockerCli, name: string): Promise<BuildRecord> {
  const record = await readBuildRecord(project.dir, name);
  const image = record ? `${record.repository}:${record.tags[0]}` : undefined;
  if (!record || !image || !(await localImage(cli, image))) {
    throw new MlpError(
      'prerequisite',
      `${name} has no built image${image ? ` (${image} is not in the local engine)` : ''}, so there is nothing to push.`,
      {
        hint: `run: mlp build --service ${name}`,
      },
    );
  }
  return record;
}

async function pushTarget(
  context: CommandContext,
  project: ProjectConfig,
  cli: DockerCli,
  registryLogin: RegistryLogin,
  target: PushTarget,
): Promise<ImagePushResult> {
  const started = Date.now();
  const { record, repository } = target;
  const [contentTag, ...otherTags] = record.tags as [string, ...string[]];
  const result = (action: ImagePushResult['action'], digest: string, reason: string, attempts: number): ImagePushResult => ({
    service: target.name,
    reference: `${repository}@${digest}`,
    repository,
    tags: record.tags,
    digest,
    action,
    reason,
    attempts,
    seconds: (Date.now() - started) / 1000,
  });
  const remember = async (digest: string): Promise<void> => {
    const pushedAt = new Date().toISOString();
    await writeBuildRecord(project.dir, {
      ...record,
      pushed: { repository, tags: record.tags, digest, reference: `${repository}@${digest}`, pushedAt },
    });
  };

  await registryLogin.current((line) => context.output.info(line));
  // A registry that can't be asked is not taken as "absent": the push below retries it and reports it clearly.
  const existing = await remoteManifest(cli, `${repository}:${contentTag}`, registryLogin.configDir).catch((error: unknown) => {
    context.output.debug(`could not ask the registry for ${repository}:${contentTag}: ${(error as Error).message}`);
    return undefined;
  });
  if (existing?.digest) {
    await remember(existing.digest);
    context.output.info(
      `${target.name}: ${repository}:${contentTag} is already in the registry (${existing.digest.slice(0, 19)}…); not pushed`,
    );
    return result('skipped', existing.digest, 'the registry already has this content tag', 0);
  }

  for (const tag of record.tags) await tagImage(cli, `${record.repository}:${contentTag}`, `${repository}:${tag}`);
  const { digest, attempts } = await pushWithRetries(context, cli, registryLogin, `${repository}:${contentTag}`);
  // The other tags name the same manifest: pushing them uploads no layers.
  for (const tag of otherTags) await pushWithRetries(context, cli, registryLogin, `${repository}:${tag}`);
  await remember(digest);
  context.output.info(`${target.name}: pushed ${repository}@${digest}`);
  return result('pushed', digest, 'not in the registry yet', attempts);
}

async function pushWithRetries(
  context: CommandContext,
  cli: DockerCli,
  registryLogin: RegistryLogin,
  ref: string,
): Promise<{ digest: string; attempts: number }> {
  const baseDelay = Number(context.io.env.MLP_PUSH_RETRY_DELAY_MS ?? DEFAULT_RETRY_DELAY_MS);
  let refreshed = false;
  let failures = 0;
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await pushImage(cli, ref, registryLogin.configDir, (line) => context.output.debug(`push | ${line}`));
    if (outcome.ok && outcome.digest) return { digest: outcome.digest, attempts: attempt };
    const why = outcome.tail.filter((line) => line.trim() !== '').slice(-1)[0] ?? 'no output';
    if (AUTH_EXPIRED.test(why) && !refreshed) {
      // Not a failure: a long build can outlive a token. Fetch a new one and go on.
      context.output.info(`${ref}: the registry token expired; fetching a new one`);
      refreshed = true;
      await registryLogin.refresh();
      continue;
    }
    failures += 1;
    if (!TRANSIENT.test(why) || failures > PUSH_RETRIES) {
      throw new MlpError('push', `docker push ${ref} failed${failures > 1 ? ` after ${failures} attempts` : ''}: ${why}`, {
        details: outcome.tail.slice(-10),
        hint: TRANSIENT.test(why)
          ? 'the registry did not answer; check that it is reachable and run mlp push again (nothing was recorded as pushed)'
          : 'nothing was recorded as pushed',
      });
    }
    const delay = baseDelay * 2 ** (failures - 1);
    context.output.warn(`${ref}: push failed (${why}); retrying in ${(delay / 1000).toFixed(1)} s (${failures}/${PUSH_RETRIES})`);
    await sleep(delay, undefined, { signal: context.signal });
  }
}

/** The deploy pipeline's push stage. */
export const pushStage = (context: CommandContext): Promise<ImagePushResult[]> => pushProject(context);
