/**
 * What a deploy did, per service, gathered from the stages' results (and, for a stage that was skipped, from what
 * the last build and push recorded): the report behind the step summary and the step outputs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProjectConfig } from '../config/load.js';
import { EXIT_CODES, isMlpError, type ExitCodeName } from '../errors.js';
import { readBuildRecord } from '../image/build-record.js';
import { modelDir, type ModelMetrics } from '../model/registry.js';
import type { PipelinePlan, StageName } from '../pipeline/plan.js';
import type { PipelineProgress } from '../pipeline/runner.js';
import { containerKey, releaseThisRun, rollbacksThisRun, type RollbackRecord } from '../pipeline/run-releases.js';
import type { CommandContext } from '../context.js';

export interface SmokeReport {
  name: string;
  request: string;
  status: number;
  ms: number;
}

export interface ServiceReport {
  service: string;
  /** What runs: repository@sha256:… after a push, the local repository:tag otherwise. */
  image: string | null;
  /** The registry digest after a push, the local engine's image id otherwise. */
  digest: string | null;
  modelVersion: string | null;
  metrics: Readonly<Record<string, number>>;
  replicas: { ready: number; desired: number } | null;
  smoke: SmokeReport[];
  url: string | null;
  /** What it was rolled back to, when this run rolled it back. */
  rolledBackTo: string | null;
}

export interface DeployReport {
  project: string;
  profile: string | null;
  target: 'local' | 'eks';
  namespace: string | null;
  ok: boolean;
  stages: Array<{ name: StageName; action: 'run' | 'skip'; reason: string | null; seconds: number | null; failed: boolean }>;
  /** The deploy stage's time: apply and watch every rollout (or start every container) until ready. */
  rolloutSeconds: number | null;
  services: ServiceReport[];
  failure: { kind: ExitCodeName; exitCode: number; message: string; details: readonly string[]; hint: string | null } | null;
}

/** `smoke test predict: POST /predict → 200 in 12 ms`, as verify/smoke-requests.ts reports a passed request. */
const SMOKE_LINE = /^smoke test (.+): (\S+ \S+) → (\d+) in (\d+) ms$/;

export async function collectDeployReport(
  project: ProjectConfig,
  plan: PipelinePlan,
  progress: PipelineProgress,
  run: CommandContext,
  error: unknown,
): Promise<DeployReport> {
  const { config } = project;
  const { results } = progress;
  const rollbacks = [
    ...rollbacksThisRun(run),
    ...(plan.target === 'local' && error !== undefined ? await localRollbacks(project, run) : []),
  ];
  const namespace =
    plan.target === 'eks' ? (results.deploy?.target === 'eks' ? results.deploy.namespace : (config.cluster?.namespace ?? null)) : null;
  const services = await Promise.all(
    config.services.map(async (service): Promise<ServiceReport> => {
      const record = await readBuildRecord(project.dir, service.name);
      const pushed = results.push?.find((image) => image.service === service.name);
      const built = results.build?.find((image) => image.service === service.name);
      const local = results.deploy?.target === 'local' ? results.deploy.services.find((s) => s.service === service.name) : undefined;
      const rolledOut = results.deploy?.target === 'eks' && results.deploy.rolledOut.includes(service.name);
      const modelVersion = record?.modelVersion ?? (service.model.source === 'training' ? (results.train?.version ?? null) : null);
      const rollback = rollbacks.find((r) => r.service === service.name);
      const image =
        plan.target === 'eks'
          ? (pushed?.reference ?? record?.pushed?.reference ?? null)
          : (local?.image ?? built?.image ?? (record ? `${record.repository}:${record.tags[0]}` : null));
      const digest =
        plan.target === 'eks' ? (pushed?.digest ?? record?.pushed?.digest ?? null) : (built?.imageId ?? record?.imageId ?? null);
      return {
        service: service.name,
        image,
        digest,
        modelVersion,
        metrics: await modelMetrics(project, service.model, modelVersion),
        replicas: local ? { ready: 1, desired: 1 } : rolledOut ? { ready: service.replicas, desired: service.replicas } : null,
        smoke: (results.test ?? []).filter((test) => test.service === service.name).flatMap((test) => smokeReport(test.line)),
        url: local?.url ?? (plan.target === 'eks' && results.deploy ? clusterUrl(service, namespace ?? 'default') : null),
        rolledBackTo: rollback?.to ?? null,
      };
    }),
  );
  return {
    project: config.name,
    profile: project.profile,
    target: plan.target,
    namespace,
    ok: error === undefined,
    stages: plan.stages.map((stage) => ({
      name: stage.name,
      action: stage.action,
      reason: stage.action === 'skip' ? stage.reason : null,
      seconds: progress.seconds[stage.name] ?? null,
      failed: progress.failed === stage.name,
    })),
    rolloutSeconds: progress.seconds.deploy ?? null,
    services,
    failure: error === undefined ? null : failureOf(error),
  };
}

/**
 * On the local target a rollback puts the replaced container back under the service's name: a container this run
 * started that no longer runs under it was rolled back.
 */
async function localRollbacks(project: ProjectConfig, run: CommandContext): Promise<RollbackRecord[]> {
  const [{ containerState, dockerCliFor }, { containerName }] = await Promise.all([import('../docker.js'), import('../deploy/local.js')]);
  const cli = dockerCliFor(run, project.dir);
  const found: RollbackRecord[] = [];
  for (const service of project.config.services) {
    const name = containerName(project.config.name, service.name);
    const released = releaseThisRun(run, containerKey(name));
    if (released === undefined) continue;
    const current = await containerState(cli, name).catch(() => undefined);
    if (current !== undefined && current.id !== released)
      found.push({ service: service.name, to: `the previous container (${current.id.slice(0, 12)})` });
  }
  return found;
}

function failureOf(error: unknown): NonNullable<DeployReport['failure']> {
  const kind: ExitCodeName = isMlpError(error) ? error.kind : 'internal';
  return {
    kind,
    exitCode: EXIT_CODES[kind].code,
    message: error instanceof Error ? error.message : String(error),
    details: isMlpError(error) ? error.details : [],
    hint: isMlpError(error) ? (error.hint ?? null) : null,
  };
}

function smokeReport(line: string): SmokeReport[] {
  const match = SMOKE_LINE.exec(line);
  return match ? [{ name: match[1]!, request: match[2]!, status: Number(match[3]), ms: Number(match[4]) }] : [];
}

function clusterUrl(service: ProjectConfig['config']['services'][number], namespace: string): string {
  const expose = service.expose;
  if (expose?.type === 'ingress' && expose.host !== undefined) return `https://${expose.host}`;
  return `http://${service.name}.${namespace}.svc`;
}

/** The model version's metrics.json (numbers only), from the registry or the service's model directory. */
async function modelMetrics(
  project: ProjectConfig,
  model: ProjectConfig['config']['services'][number]['model'],
  version: string | null,
): Promise<Record<string, number>> {
  const dir =
    model.source === 'training' && version !== null
      ? path.join(modelDir(project.dir, project.config.name), version)
      : model.source === 'dir'
        ? path.resolve(project.dir, model.path)
        : undefined;
  if (dir === undefined) return {};
  const metrics = await readFile(path.join(dir, 'metrics.json'), 'utf8').then(
    (text) => JSON.parse(text) as ModelMetrics,
    () => undefined,
  );
  if (metrics === null || typeof metrics !== 'object') return {};
  return Object.fromEntries(Object.entries(metrics).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}
