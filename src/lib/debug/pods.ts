/**
 * `mlp debug pods [service]`: the runbook's pod checks (kubectl get pods, describe, logs --previous, get events),
 * run by mlp. For each service its Deployment, then every pod of it: is it running and ready, and if not why — in the
 * words of the rollout watch (kube/rollout.ts: ImagePullBackOff with the kubelet's message, CrashLoopBackOff with the
 * previous container's last lines, OOMKilled with the limit, FailedScheduling with the scheduler's reason, the
 * missing Secret) — with the pod's recent Warning events; and did its containers restart. On the local target the
 * services run as containers, so it checks those instead (as mlp status does).
 */
import type { CoreV1Event, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { ProjectConfig } from '../config/load.js';
import type { ServiceConfig } from '../config/schema.js';
import { selectServices } from '../config/select-services.js';
import type { CommandContext } from '../context.js';
import type { KubeClient } from '../kube/client.js';
import { podLogTail } from '../kube/pod-log.js';
import {
  crashLoopingContainer,
  eventTime,
  isComplete,
  memoryLimit,
  ownedReplicaSets,
  podFailure,
  progressDeadlineFailure,
  quotaFailure,
  REVISION_ANNOTATION,
  unreadyContainerFailure,
  type RolloutFailure,
} from '../kube/rollout.js';
import { clusterForRun } from '../per-run.js';
import { namespaceOf } from '../render/render-context.js';
import { unreachable } from '../status/cluster-status.js';
import type { CheckRecord, DebugTopic } from './check.js';

/** How many of a failing pod's Warning events are shown, newest first. */
const EVENTS_SHOWN = 5;

const podsTopic: DebugTopic = async (context, request) => {
  const project = await context.loadConfig();
  const services = selectServices(project.config, request.services);
  if (project.config.deploy.target === 'local') return localContainerChecks(context, project, services);
  const kube = await clusterForRun(context);
  const namespace = namespaceOf(project.config);
  try {
    const warnings = await warningEvents(kube, namespace);
    const records: CheckRecord[] = [];
    for (const service of services) records.push(...(await serviceChecks(kube, project, namespace, service, warnings)));
    return records;
  } catch (error) {
    throw unreachable(error, kube.source);
  }
};
export default podsTopic;

/** The Deployment's record first, then each pod's (oldest pod first). */
async function serviceChecks(
  kube: KubeClient,
  project: ProjectConfig,
  namespace: string,
  service: ServiceConfig,
  warnings: ReadonlyMap<string, CoreV1Event[]>,
): Promise<CheckRecord[]> {
  const deployment = await kube.apps.readNamespacedDeployment({ name: service.name, namespace }).catch((error: unknown) => {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  });
  if (!deployment) {
    return [
      {
        check: 'pods.deployment',
        subject: service.name,
        status: 'fail',
        saw: `no Deployment ${service.name} in namespace ${namespace}: the service is not deployed`,
        fix: 'mlp deploy',
      },
    ];
  }
  const selector = Object.entries(deployment.spec?.selector?.matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const pods = (await kube.core.listNamespacedPod({ namespace, labelSelector: selector })).items.sort(
    (a, b) => new Date(a.metadata?.creationTimestamp ?? 0).getTime() - new Date(b.metadata?.creationTimestamp ?? 0).getTime(),
  );
  const podRecords: CheckRecord[] = [];
  for (const pod of pods) {
    const facts = await podFacts(kube, pod, warnings.get(pod.metadata!.name!) ?? []);
    podRecords.push(...podChecks(project.config, service, pod, facts));
  }
  const [newest] = await ownedReplicaSets(kube, deployment);
  return [deploymentCheck(deployment, quotaFailure(deployment, newest ?? {}), podRecords), ...podRecords];
}

/** What a pod's checks read from the API besides the pod: logs, the unready container's diagnosis, events. */
export interface PodFacts {
  /** The crash-looping container's previous run's last lines (the container a diagnosis blames). */
  previousLog: string[];
  /** For a pod that runs but is not ready: unreadyContainerFailure's verdict. */
  unready: RolloutFailure | undefined;
  /** For a pod whose containers restarted but run now, or whose container has just exited: that run's last lines. */
  lastRunLog: string[];
  /** The pod's Warning events. */
  events: CoreV1Event[];
}

async function podFacts(kube: KubeClient, pod: V1Pod, events: CoreV1Event[]): Promise<PodFacts> {
  const target = { namespace: pod.metadata!.namespace!, pod: pod.metadata!.name! };
  const crashing = crashLoopingContainer(pod);
  const previousLog = crashing ? await podLogTail(kube.core, { ...target, container: crashing, previous: true }) : [];
  const verdict = podFailure(pod, true, previousLog);
  const unready = verdict || pod.metadata?.deletionTimestamp ? undefined : await unreadyContainerFailure(kube, pod);
  const ended = (pod.status?.containerStatuses ?? []).find((status) => status.state?.terminated || (status.restartCount > 0 && !crashing));
  const lastRunLog =
    ended && !verdict ? await podLogTail(kube.core, { ...target, container: ended.name, previous: !ended.state?.terminated }, 10) : [];
  return { previousLog, unready, lastRunLog, events };
}

/**
 * The checks of one pod, from the pod and what podFacts read: `pods.running` (running and ready, or why not) and,
 * unless it is terminating, `pods.restarts`.
 */
export function podChecks(config: ProjectConfig['config'], service: ServiceConfig, pod: V1Pod, facts: PodFacts): CheckRecord[] {
  const podName = pod.metadata!.name!;
  const subject = `${service.name}/${podName}`;
  if (pod.metadata?.deletionTimestamp) {
    return [
      {
        check: 'pods.running',
        subject,
        status: 'pass',
        saw: `terminating (${pod.status?.phase ?? 'unknown phase'}): a newer pod replaces it`,
      },
    ];
  }
  const failure = podFailure(pod, true, facts.previousLog) ?? facts.unready ?? otherFailure(pod, facts.lastRunLog);
  const events = eventLines(facts.events);
  const running: CheckRecord = failure
    ? {
        check: 'pods.running',
        subject,
        status: 'fail',
        saw: `${pod.status?.phase === 'Pending' && !failure.message.includes('Pending') ? 'Pending: ' : ''}${withoutPodName(failure.message, podName)}`,
        details: [
          ...evidence(failure),
          ...events.filter((line) => !failure.details.some((detail) => detail.trim() !== '' && line.includes(detail.trim()))),
        ],
        fix: fixFor(config, service, pod, failure),
      }
    : { check: 'pods.running', subject, status: 'pass', saw: `Running and ready on node ${pod.spec?.nodeName ?? '?'}` };
  return [running, restartsCheck(config, service, pod, facts, running)];
}

/** Restarts of the pod's containers: the last run's end, and its log when the pod runs again now. */
function restartsCheck(
  config: ProjectConfig['config'],
  service: ServiceConfig,
  pod: V1Pod,
  facts: PodFacts,
  running: CheckRecord,
): CheckRecord {
  const subject = `${service.name}/${pod.metadata!.name}`;
  const statuses = pod.status?.containerStatuses ?? [];
  const restarted = statuses.filter((status) => status.restartCount > 0);
  if (restarted.length === 0) return { check: 'pods.restarts', subject, status: 'pass', saw: 'no container restarts' };
  const saw = restarted
    .map((status) => {
      const last = status.lastState?.terminated;
      const end = last
        ? `; the last run ended with exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}${last.finishedAt ? ` ${ago(last.finishedAt)}` : ''}`
        : '';
      return `container ${status.name} restarted ${status.restartCount} time${status.restartCount === 1 ? '' : 's'}${end}`;
    })
    .join('; ');
  const oom = restarted.find((status) => status.lastState?.terminated?.reason === 'OOMKilled');
  const fix = oom
    ? memoryFix(config, service, memoryLimit(pod, oom.name))
    : running.status === 'fail'
      ? running.fix
      : `the last run's lines are above (kubectl -n ${pod.metadata!.namespace} logs ${pod.metadata!.name} -c ${restarted[0]!.name} --previous); fix the cause, then mlp deploy`;
  const details = running.status === 'fail' ? [] : facts.lastRunLog.map((line) => `log: ${line}`);
  return { check: 'pods.restarts', subject, status: 'fail', saw, details, fix };
}

/** What podFailure and unreadyContainerFailure leave out: a pod that ended, a container that exited or waits, Pending. */
export function otherFailure(pod: V1Pod, lastRunLog: readonly string[]): RolloutFailure | undefined {
  const phase = pod.status?.phase ?? 'Unknown';
  const name = pod.metadata!.name!;
  if (phase === 'Failed' || phase === 'Succeeded') {
    const why = [pod.status?.reason, pod.status?.message].filter(Boolean).join(': ');
    return { kind: 'rollout', message: `pod ${name}: phase ${phase}${why ? ` (${why})` : ''}`, details: [] };
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    const ended = status.state?.terminated;
    if (ended) {
      const limit = ended.reason === 'OOMKilled' ? memoryLimit(pod, status.name) : undefined;
      return {
        kind: ended.reason === 'OOMKilled' ? 'rolloutOOMKilled' : 'rolloutCrashLoop',
        message: `pod ${name}: container ${status.name} exited (${ended.reason ?? 'Error'}${limit ? `, limit ${limit}` : ''}, exit code ${ended.exitCode})`,
        details: [...(ended.message ? [`termination message: ${ended.message.trim()}`] : []), ...lastRunLog.map((line) => `log: ${line}`)],
      };
    }
    const waiting = status.state?.waiting;
    if (waiting) {
      return {
        kind: 'rollout',
        message: `pod ${name}: container ${status.name} is waiting (${waiting.reason ?? 'no reason'}), pod ${phase} since ${ago(pod.metadata?.creationTimestamp)}`,
        details: waiting.message ? [waiting.message] : [],
      };
    }
  }
  if (phase !== 'Running')
    return { kind: 'rollout', message: `pod ${name}: ${phase} since ${ago(pod.metadata?.creationTimestamp)}`, details: [] };
  return undefined;
}

/** The fix for a pod's failure, as a command or the line of mlp.yaml to change. */
function fixFor(config: ProjectConfig['config'], service: ServiceConfig, pod: V1Pod, failure: RolloutFailure): string {
  const index = config.services.findIndex((candidate) => candidate.name === service.name);
  const field = `services[${index}]`;
  const namespace = pod.metadata!.namespace!;
  switch (failure.kind) {
    case 'rolloutImagePull':
      return `mlp push (then mlp deploy) if the image is not in the registry; else check registry.url in mlp.yaml and that the nodes may pull from it`;
    case 'rolloutContainerConfig':
      return failure.details[0] ?? `kubectl -n ${namespace} describe pod ${pod.metadata!.name}`;
    case 'rolloutOOMKilled':
      return memoryFix(config, service, memoryLimit(pod, oomKilled(pod) ?? ''));
    case 'rolloutExecFormat':
      return "mlp build --platform linux/<the nodes' arch>, then mlp push and mlp deploy";
    case 'rolloutUnschedulable':
      return unschedulableFix(failure.details.join(' '), field, service);
    case 'rolloutCrashLoop':
      return `the last log lines say why it exits: fix that in mlp.yaml (${field}.env, ${field}.model) and mlp deploy; mlp rollback ${service.name} goes back to the revision before`;
    default:
      return failure.message.includes('never became ready')
        ? `the probe's failure and the log say why /ready fails (a model that does not load, a backend it cannot reach): fix ${field}.model or ${field}.env in mlp.yaml, then mlp deploy`
        : `kubectl -n ${namespace} describe pod ${pod.metadata!.name}`;
  }
}

/** The container the kernel killed at its memory limit, now or in its last run. */
function oomKilled(pod: V1Pod): string | undefined {
  return (pod.status?.containerStatuses ?? []).find(
    (status) =>
      (status.lastState?.terminated ?? status.state?.terminated)?.reason === 'OOMKilled' ||
      status.state?.terminated?.reason === 'OOMKilled',
  )?.name;
}

function memoryFix(config: ProjectConfig['config'], service: ServiceConfig, limit: string | undefined): string {
  const index = config.services.findIndex((candidate) => candidate.name === service.name);
  return `raise services[${index}].resources.limits.memory in mlp.yaml (now ${limit ?? service.resources.limits.memory}; requests.memory with it), then mlp deploy`;
}

/** The scheduler's reason, turned into what to change. */
function unschedulableFix(reason: string, field: string, service: ServiceConfig): string {
  const short = /Insufficient (cpu|memory)/.exec(reason)?.[1] as 'cpu' | 'memory' | undefined;
  if (short) {
    return `lower ${field}.resources.requests.${short} in mlp.yaml (now ${service.resources.requests[short]}; no node has that much free), or add nodes (mlp scale up)`;
  }
  if (/0\/0 nodes|no nodes available/i.test(reason)) return 'mlp scale up (the cluster has no nodes)';
  if (/taint|affinity|selector/i.test(reason))
    return "no node matches the pod's node selector or tolerates the nodes' taints: add nodes that do (mlp scale up)";
  return `kubectl describe nodes: add nodes (mlp scale up) or lower ${field}.resources.requests in mlp.yaml`;
}

/** A failure's details without the line that is its fix (OOMKilled and exec format error carry it there). */
function evidence(failure: RolloutFailure): string[] {
  if (failure.kind === 'rolloutContainerConfig') return [];
  return failure.details.filter((line) => line.trim() !== '' && !/^raise services\[\]|rebuild with mlp build/.test(line));
}

function deploymentCheck(deployment: V1Deployment, refused: RolloutFailure | undefined, pods: readonly CheckRecord[]): CheckRecord {
  const name = deployment.metadata!.name!;
  const want = deployment.spec?.replicas ?? 1;
  const available = deployment.status?.availableReplicas ?? 0;
  const revision = deployment.metadata?.annotations?.[REVISION_ANNOTATION] ?? '?';
  const counts = `${available}/${want} replicas available, ${deployment.status?.updatedReplicas ?? 0} of revision ${revision}`;
  const base = { check: 'pods.deployment', subject: name };
  if (isComplete(deployment))
    return { ...base, status: 'pass', saw: `Deployment: ${available}/${want} replicas available, revision ${revision}` };
  const failedPod = pods.find((record) => record.status === 'fail' && record.check === 'pods.running');
  if (refused)
    return {
      ...base,
      status: 'fail',
      saw: `Deployment: ${counts}; ${withoutDeployment(refused.message, name)}`,
      details: refused.details,
      fix: 'mlp debug quota',
    };
  const stalled = progressDeadlineFailure(deployment);
  if (stalled || failedPod) {
    return {
      ...base,
      status: 'fail',
      saw: `Deployment: ${counts}${stalled ? `; ${withoutDeployment(stalled.message, name)}` : `; pod ${failedPod!.subject!.split('/')[1]} is not running`}`,
      details: stalled?.details,
      fix: failedPod?.fix ?? `mlp rollback ${name} (the revision before), then fix the cause and mlp deploy`,
    };
  }
  return { ...base, status: 'pass', saw: `Deployment: rolling out, ${counts}` };
}

/** Warning events of every pod in the namespace, by pod name: one request instead of one per pod. */
async function warningEvents(kube: KubeClient, namespace: string): Promise<Map<string, CoreV1Event[]>> {
  const { items } = await kube.core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.kind=Pod,type=Warning' });
  const byPod = new Map<string, CoreV1Event[]>();
  for (const event of items) {
    const pod = event.involvedObject.name ?? '';
    byPod.set(pod, [...(byPod.get(pod) ?? []), event]);
  }
  return byPod;
}

/** "BackOff: Back-off restarting failed container (x7, 12s ago)", newest first, each reason and message once. */
export function eventLines(events: readonly CoreV1Event[], now = Date.now()): string[] {
  const seen = new Set<string>();
  return [...events]
    .sort((a, b) => eventTime(b) - eventTime(a))
    .filter((event) => {
      const key = `${event.reason}: ${event.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, EVENTS_SHOWN)
    .map((event) => {
      const count = event.count && event.count > 1 ? `x${event.count}, ` : '';
      return `event ${event.reason ?? '?'}: ${(event.message ?? '').trim()} (${count}${ago(new Date(eventTime(event)), now)})`;
    });
}

function ago(at: Date | string | undefined, now = Date.now()): string {
  if (at === undefined) return 'a while';
  const seconds = Math.max(0, Math.round((now - new Date(at).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  return `${Math.round(seconds / 3600)}h ago`;
}

function withoutPodName(message: string, pod: string): string {
  return message.replace(`pod ${pod}: `, '').replace(`pod ${pod} `, '').replace(/\.$/, '');
}

function withoutDeployment(message: string, name: string): string {
  return message.replace(`${name}: `, '').replace(/\.$/, '');
}

/** The local target: each service's container, as mlp status sees it. */
async function localContainerChecks(context: CommandContext, project: ProjectConfig, services: ServiceConfig[]): Promise<CheckRecord[]> {
  const [{ dockerCliFor, engineInfo }, { localServiceStatus }] = await Promise.all([
    import('../docker.js'),
    import('../status/local-status.js'),
  ]);
  const cli = dockerCliFor(context, project.dir);
  await engineInfo(cli);
  const records: CheckRecord[] = [];
  for (const service of services) {
    const status = await localServiceStatus(cli, project.config.name, service, context.signal);
    const container = status.container;
    const missing = container?.state === 'missing';
    records.push({
      check: 'pods.container',
      subject: service.name,
      status: status.healthy ? 'pass' : 'fail',
      saw: status.healthy
        ? `deploy.target is local: container ${container?.name} is ${container?.state} and ready (${container?.ports.join(', ')})`
        : `deploy.target is local (pods are a cluster's): ${status.problems.join('; ')}`,
      fix: missing ? 'mlp deploy' : `mlp logs ${service.name} says why; docker ps -a --filter name=${container?.name}; then mlp deploy`,
    });
  }
  return records;
}
