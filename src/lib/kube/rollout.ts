/**
 * Watches a Deployment's rollout until every replica of the new revision is available, and fails fast with the
 * cause when it cannot get there: the new pods' image cannot be pulled, their containers crash (with the
 * termination message), the binary is for another CPU, they cannot be scheduled, or the namespace's quota refuses
 * them. Each cause has its own exit code. Rollback restores the previous revision's pod template.
 */
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { MlpError, type ExitCodeName } from '../errors.js';
import type { KubeClient } from './client.js';
import { memoryBytes } from '../render/quantities.js';
import { podLogTail } from './pod-log.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const ROLLBACK_FIELD_MANAGER = 'mlp-rollback';
const POLL_MS = 1000;
/** A pod may wait this long for a node (a cluster autoscaler adds one) before FailedScheduling is the verdict. */
export const UNSCHEDULABLE_GRACE_MS = 60_000;
/** How the API server words a pod the ResourceQuota refuses: over the quota, or without the requests/limits it needs. */
export const QUOTA_REFUSAL = /exceeded quota|failed quota/i;
/** What the runtime says, in the log or the termination message, when a binary is for another CPU. */
export const EXEC_FORMAT = /exec format error/i;
const IMAGE_PULL = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']);

export interface RolloutTarget {
  namespace: string;
  name: string;
  /** Absolute time (ms) after which the rollout has failed. */
  deadline: number;
}

export interface RolloutFailure {
  kind: ExitCodeName;
  message: string;
  details: string[];
}

/** What a diagnosis reads: the Deployment's ReplicaSets, the pods, their logs (a KubeClient, or a fake in tests). */
export type Clients = Pick<KubeClient, 'apps' | 'core'>;

export function isComplete(deployment: V1Deployment): boolean {
  const want = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
    (status.updatedReplicas ?? 0) === want &&
    (status.availableReplicas ?? 0) === want &&
    (status.replicas ?? 0) === want
  );
}

/** The ReplicaSets the Deployment owns, newest revision first. */
export async function ownedReplicaSets({ apps }: Clients, deployment: V1Deployment): Promise<V1ReplicaSet[]> {
  const selector = Object.entries(deployment.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const list = await apps.listNamespacedReplicaSet({ namespace: deployment.metadata!.namespace!, labelSelector: selector });
  return list.items
    .filter((rs) => rs.metadata?.ownerReferences?.some((owner) => owner.uid === deployment.metadata?.uid))
    .sort(
      (a, b) => Number(b.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0) - Number(a.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0),
    );
}

/**
 * Why the new revision is not coming up, or undefined while it may still. `patience`: how long pods may wait for a
 * node before that is the verdict (0 at the deadline: say the cause now). `quotaIsFinal`: asked when the quota
 * refuses a pod, which can pass (see quotaSettled).
 */
export async function diagnose(
  c: Clients,
  deployment: V1Deployment,
  newest: V1ReplicaSet | undefined,
  waitedMs: number,
  patience = UNSCHEDULABLE_GRACE_MS,
  quotaIsFinal: (refusal: string) => Promise<boolean> = async () => true,
): Promise<RolloutFailure | undefined> {
  const name = deployment.metadata!.name!;
  if (newest) {
    const refused = quotaFailure(deployment, newest);
    if (refused && (await quotaIsFinal(refused.details[0] ?? ''))) return refused;
    const hash = newest.metadata?.labels?.['pod-template-hash'];
    const pods = hash
      ? (await c.core.listNamespacedPod({ namespace: deployment.metadata!.namespace!, labelSelector: `pod-template-hash=${hash}` })).items
      : [];
    for (const pod of pods) {
      const cause = await podCause(c, pod, waitedMs >= patience);
      if (cause) return { ...cause, message: `${name}: ${cause.message}` };
    }
  }
  const pastProgressDeadline = progressDeadlineFailure(deployment, Date.now() - waitedMs);
  // The controller's deadline is deploy.timeoutSeconds too, so it often speaks first: a pod that runs but never got
  // ready is still the cause to name, with the controller's verdict beside it.
  const neverReady = pastProgressDeadline && newest ? await neverReadyFailure(c, deployment, newest) : undefined;
  if (neverReady) return { ...neverReady, details: [...neverReady.details, ...pastProgressDeadline!.details] };
  return pastProgressDeadline;
}

/** The quota refusal the newest ReplicaSet reports (its ReplicaFailure condition), whether or not it will pass. */
export function quotaFailure(deployment: V1Deployment, newest: V1ReplicaSet): RolloutFailure | undefined {
  const failure = newest.status?.conditions?.find((condition) => condition.type === 'ReplicaFailure' && condition.status === 'True');
  if (!failure || !QUOTA_REFUSAL.test(failure.message ?? '')) return undefined;
  return {
    kind: 'rolloutQuota',
    message: `${deployment.metadata!.name}: the ResourceQuota of namespace ${deployment.metadata!.namespace} refuses the new pods.`,
    details: [failure.message ?? ''],
  };
}

/** The Deployment controller's own verdict: its Progressing condition says the progress deadline passed. */
export function progressDeadlineFailure(deployment: V1Deployment, watchedSince?: number): RolloutFailure | undefined {
  // Right after a change (a rollback's restored template) the conditions are still the previous revision's: its
  // ProgressDeadlineExceeded says nothing about the new one until the controller has observed the change, and a
  // verdict written before this watch began (timestamps have whole seconds) is the previous rollout's.
  const observed = deployment.status?.observedGeneration;
  if (observed !== undefined && observed < (deployment.metadata?.generation ?? 0)) return undefined;
  const progressing = deployment.status?.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.reason !== 'ProgressDeadlineExceeded') return undefined;
  const written = progressing.lastUpdateTime ? new Date(progressing.lastUpdateTime).getTime() : undefined;
  if (watchedSince !== undefined && written !== undefined && written < watchedSince - 1000) return undefined;
  return {
    kind: 'rollout',
    message: `${deployment.metadata!.name}: the rollout exceeded its progress deadline.`,
    details: [progressing.message ?? ''],
  };
}

/** How long a quota refusal must last before it is the verdict (see quotaSettled). */
const QUOTA_SETTLE_MS = 5000;

/**
 * A quota refusal is often passing: in a rolling update the old pods count against the quota until they are gone
 * (their whole termination grace period), so the surge pod is refused and created a moment later. It is the verdict
 * once it has lasted QUOTA_SETTLE_MS while no pod in the namespace is terminating (nothing is about to free quota) and
 * the quota it names still has no room for the request, or at the deadline. One per watch: it remembers since when
 * nothing has been terminating.
 */
export function quotaSettled(c: Clients, namespace: string): { isFinal(pastDeadline: boolean, refusal?: string): Promise<boolean> } {
  let quietSince: number | undefined;
  return {
    async isFinal(pastDeadline, refusal = '') {
      if (pastDeadline) return true;
      const { items } = await c.core.listNamespacedPod({ namespace });
      if (items.some((pod) => pod.metadata?.deletionTimestamp !== undefined)) {
        quietSince = undefined;
        return false;
      }
      quietSince ??= Date.now();
      if (Date.now() - quietSince < QUOTA_SETTLE_MS) return false;
      // The controller retries a refused pod after a backoff that grows to minutes, so its refusal can outlive the
      // shortage: final only while the quota it names has no room for the request.
      return !(await quotaHasRoom(c, namespace, refusal));
    },
  };
}

/** Whether the quota a refusal names ("exceeded quota: NAME, requested: pods=1,…, used: …") has room for it now. */
async function quotaHasRoom(c: Clients, namespace: string, refusal: string): Promise<boolean> {
  const match = /exceeded quota: ([^,\s]+), requested: (\S+?), used:/.exec(refusal);
  if (!match) return false;
  const quota = await c.core.readNamespacedResourceQuota({ name: match[1]!, namespace }).catch(() => undefined);
  const hard = quota?.status?.hard ?? quota?.spec?.hard ?? {};
  const used = quota?.status?.used ?? {};
  const amount = (value: string): number => (value.endsWith('m') ? Number(value.slice(0, -1)) / 1000 : memoryBytes(value));
  return match[2]!.split(',').every((pair) => {
    const [resource = '', requested = '0'] = pair.split('=');
    const limit = hard[resource];
    return limit === undefined || amount(used[resource] ?? '0') + amount(requested) <= amount(limit);
  });
}

/** The kubelet's wording for a Secret, or a key of one, that a container's env references and that is not there. */
const MISSING_SECRET = /secret "([^"]+)" not found|couldn't find key (\S+) in Secret \S+?\/(\S+)/;

/**
 * The kubelet cannot build the container's env or mounts (CreateContainerConfigError): usually a Secret, or a key of
 * one, that is not there. It retries, but nothing mlp applied will change that, so it is the verdict at once.
 */
function containerConfigFailure(pod: V1Pod, container: string, kubeletMessage: string): RolloutFailure {
  const namespace = pod.metadata!.namespace!;
  const missing = MISSING_SECRET.exec(kubeletMessage);
  const secret = missing?.[1] ?? missing?.[3];
  const fix = secret
    ? `create it in namespace ${namespace}: kubectl -n ${namespace} create secret generic ${secret} --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=... (or change cluster.awsCredentialsSecret in mlp.yaml)`
    : 'check the Secrets and ConfigMaps the container references';
  return {
    kind: 'rolloutContainerConfig',
    message: `pod ${pod.metadata!.name}: container ${container} cannot be created: ${kubeletMessage || 'its configuration is invalid'} (CreateContainerConfigError).`,
    details: [fix],
  };
}

/** What keeps a pod from running: an image that cannot be pulled, a crash loop, exec format error, no node. */
export async function podCause(c: Clients, pod: V1Pod, unschedulableIsFinal: boolean): Promise<RolloutFailure | undefined> {
  const crashing = crashLoopingContainer(pod);
  const previousLog =
    crashing === undefined
      ? []
      : await podLogTail(c.core, { namespace: pod.metadata!.namespace!, pod: pod.metadata!.name!, container: crashing, previous: true });
  return podFailure(pod, unschedulableIsFinal, previousLog);
}

/** The container whose previous log a diagnosis of the pod reads: the one it blames, when that one is crash-looping. */
export function crashLoopingContainer(pod: V1Pod): string | undefined {
  const blamed = (pod.status?.containerStatuses ?? []).find((container) => {
    const reason = container.state?.waiting?.reason;
    return reason !== undefined && (IMAGE_PULL.has(reason) || reason === 'CrashLoopBackOff');
  });
  return blamed?.state?.waiting?.reason === 'CrashLoopBackOff' ? blamed.name : undefined;
}

/**
 * podCause without the API: the verdict on `pod` from its status alone, `previousLog` being the last lines of the
 * crash-looping container's previous run (see crashLoopingContainer), which tell an exec format error.
 */
export function podFailure(pod: V1Pod, unschedulableIsFinal: boolean, previousLog: readonly string[] = []): RolloutFailure | undefined {
  const podName = pod.metadata!.name!;
  for (const container of pod.status?.containerStatuses ?? []) {
    const waiting = container.state?.waiting;
    const terminated = container.lastState?.terminated ?? container.state?.terminated;
    if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
      return {
        kind: 'rolloutImagePull',
        message: `pod ${podName}: ${waiting.reason} for image ${container.image}.`,
        details: [waiting.message ?? 'check the image reference and that the nodes may pull from the registry'],
      };
    }
    if (waiting?.reason === 'CreateContainerConfigError') return containerConfigFailure(pod, container.name, waiting.message ?? '');
    if (waiting?.reason === 'CrashLoopBackOff') {
      const logs = previousLog.map((line) => `log: ${line}`);
      // The kernel killed it at the cgroup's limit: no log line says so, the runtime's reason does.
      if (terminated?.reason === 'OOMKilled') {
        const limit = memoryLimit(pod, container.name);
        return {
          kind: 'rolloutOOMKilled',
          message: `pod ${podName}: container ${container.name} was killed for using more memory than its limit (OOMKilled${limit ? `, limit ${limit}` : ''}, ${container.restartCount} restarts).`,
          details: [...logs, 'raise services[].resources.limits.memory in mlp.yaml (and requests.memory with it)'],
        };
      }
      // The runtime prints it to the container's log; FallbackToLogsOnError also puts it in the termination message.
      if ([terminated?.message ?? '', ...logs].some((line) => EXEC_FORMAT.test(line))) {
        return {
          kind: 'rolloutExecFormat',
          message: `pod ${podName}: container ${container.name} cannot start: exec format error — ${container.image} is built for another CPU architecture than the node's.`,
          details: [
            ...(terminated?.message ? [terminated.message.trim()] : []),
            ...logs,
            `node ${pod.spec?.nodeName ?? '?'}; rebuild with mlp build --platform linux/<the nodes' arch>`,
          ],
        };
      }
      return {
        kind: 'rolloutCrashLoop',
        message: `pod ${podName}: container ${container.name} keeps crashing (CrashLoopBackOff, ${container.restartCount} restarts${terminated?.exitCode !== undefined ? `, last exit code ${terminated.exitCode}` : ''}).`,
        details: [...(terminated?.message ? [`termination message: ${terminated.message.trim()}`] : []), ...logs],
      };
    }
  }
  const unschedulable = pod.status?.conditions?.find(
    (condition) => condition.type === 'PodScheduled' && condition.status === 'False' && condition.reason === 'Unschedulable',
  );
  if (unschedulable && unschedulableIsFinal) {
    return {
      kind: 'rolloutUnschedulable',
      message: `pod ${podName} cannot be scheduled (FailedScheduling).`,
      details: [unschedulable.message ?? ''],
    };
  }
  return undefined;
}

/** The memory limit of the pod's container `name` as written in its spec (what an OOMKilled message names). */
export function memoryLimit(pod: V1Pod | undefined, name: string): string | undefined {
  return pod?.spec?.containers.find((spec) => spec.name === name)?.resources?.limits?.memory;
}

/**
 * At the deadline: a pod of the new revision whose container runs but never passed its readiness probe (a model that
 * never loads, a backend it cannot reach). Says which probe, its last failure (the kubelet's Unhealthy event) and the
 * container's last log lines, which usually tell why.
 */
export async function neverReadyFailure(c: Clients, deployment: V1Deployment, newest: V1ReplicaSet): Promise<RolloutFailure | undefined> {
  const namespace = deployment.metadata!.namespace!;
  const hash = newest.metadata?.labels?.['pod-template-hash'];
  if (!hash) return undefined;
  const pods = (await c.core.listNamespacedPod({ namespace, labelSelector: `pod-template-hash=${hash}` })).items;
  for (const pod of pods) {
    const unready = await unreadyContainerFailure(c, pod);
    if (unready) return { ...unready, message: `${deployment.metadata!.name}: ${unready.message} before deploy.timeoutSeconds.` };
  }
  return undefined;
}

/**
 * neverReadyFailure for one pod (mlp debug pods asks it of every pod): its container that runs but is not ready,
 * with the readiness probe's last failure and the container's last log lines; undefined when none is.
 */
export async function unreadyContainerFailure(c: Clients, pod: V1Pod): Promise<RolloutFailure | undefined> {
  const container = (pod.status?.containerStatuses ?? []).find((status) => status.state?.running && !status.ready);
  if (!container) return undefined;
  const namespace = pod.metadata!.namespace!;
  const podName = pod.metadata!.name!;
  const probe = pod.spec?.containers.find((spec) => spec.name === container.name)?.readinessProbe;
  const probeName = probe?.httpGet ? `GET ${probe.httpGet.path ?? '/'}` : 'its readiness probe';
  const events = await c.core
    .listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${podName}` })
    .then(
      (list) => list.items,
      () => [],
    );
  const unhealthy = events
    .filter((event) => event.reason === 'Unhealthy' && /readiness/i.test(event.message ?? ''))
    .sort((a, b) => eventTime(b) - eventTime(a))[0];
  const logs = await podLogTail(c.core, { namespace, pod: podName, container: container.name }, 10);
  return {
    kind: 'rollout',
    message: `pod ${podName}: container ${container.name} runs but never became ready (${probeName} kept failing)`,
    details: [
      ...(unhealthy?.message
        ? [`${unhealthy.message.trim()}${unhealthy.count && unhealthy.count > 1 ? ` (${unhealthy.count} times)` : ''}`]
        : []),
      ...logs.map((line) => `log: ${line}`),
    ],
  };
}

/** When an event last happened (core/v1 events have lastTimestamp; events.k8s.io ones eventTime). */
export function eventTime(event: { lastTimestamp?: Date; eventTime?: Date; firstTimestamp?: Date }): number {
  return new Date(event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? 0).getTime();
}

/** Waits for the Deployment's rollout; resolves with the revision that completed, rejects with the cause's MlpError. */
export async function watchRollout(
  kube: KubeClient,
  target: RolloutTarget,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<string | undefined> {
  const startedAt = Date.now();
  const quota = quotaSettled(kube, target.namespace);
  let last = '';
  for (;;) {
    const deployment = await kube.apps.readNamespacedDeployment({ name: target.name, namespace: target.namespace });
    if (isComplete(deployment)) {
      log(`${target.name}: rolled out (${deployment.status?.availableReplicas ?? 0}/${deployment.spec?.replicas ?? 1} available)`);
      return deployment.metadata?.annotations?.[REVISION_ANNOTATION];
    }
    const [newest] = await ownedReplicaSets(kube, deployment);
    const pastDeadline = Date.now() > target.deadline;
    // At the deadline the most specific cause wins over "did not become available" (a pod still waiting for a node).
    const failure = await diagnose(kube, deployment, newest, Date.now() - startedAt, pastDeadline ? 0 : UNSCHEDULABLE_GRACE_MS, (refusal) =>
      quota.isFinal(pastDeadline, refusal),
    );
    if (failure) throw new MlpError(failure.kind, failure.message, { details: failure.details.filter(Boolean) });
    const progress = `${target.name}: ${deployment.status?.updatedReplicas ?? 0} updated, ${deployment.status?.availableReplicas ?? 0} available of ${deployment.spec?.replicas ?? 1}`;
    if (progress !== last) log(progress);
    last = progress;
    if (pastDeadline) {
      const neverReady = newest ? await neverReadyFailure(kube, deployment, newest) : undefined;
      if (neverReady) throw new MlpError(neverReady.kind, neverReady.message, { details: neverReady.details.filter(Boolean) });
      throw new MlpError('rollout', `${target.name} did not become available before deploy.timeoutSeconds.`, { details: [progress] });
    }
    await sleep(POLL_MS, undefined, { signal });
  }
}

/**
 * Rolls back (see rollBack), says so through `announce`, then waits until the restored revision is available again.
 * Resolves with the revision restored, or undefined when there is none to go back to.
 */
export async function rollBackAndWait(
  kube: KubeClient,
  target: { namespace: string; name: string; timeoutSeconds: number; toRevision?: number | undefined },
  signal: AbortSignal,
  announce: (restored: { revision: number; replicaSet: string }) => void,
  log: (line: string) => void,
): Promise<{ revision: number; replicaSet: string } | undefined> {
  const restored = await rollBack(kube, target.namespace, target.name, target.toRevision);
  if (!restored) return undefined;
  announce(restored);
  await watchRollout(
    kube,
    { namespace: target.namespace, name: target.name, deadline: Date.now() + target.timeoutSeconds * 1000 },
    signal,
    log,
  );
  return restored;
}

/**
 * Puts the previous revision's pod template back (what `kubectl rollout undo` does). It is applied as its own field
 * manager: applied as `mlp` with only the template, server-side apply would drop every other field mlp owns
 * (replicas, selector, strategy). The next `mlp deploy` takes the template back, forcing the conflict. Resolves with the revision restored, or undefined when there is none.
 */
export async function rollBack(
  kube: KubeClient,
  namespace: string,
  name: string,
  toRevision?: number,
): Promise<{ revision: number; replicaSet: string } | undefined> {
  const deployment = await kube.apps.readNamespacedDeployment({ name, namespace });
  const sets = await ownedReplicaSets(kube, deployment);
  const current = Number(deployment.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);
  const previous = sets.find((rs) => {
    const revision = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);
    return toRevision === undefined ? revision < current : revision === toRevision;
  });
  if (!previous?.spec?.template) return undefined;
  const template = structuredClone(previous.spec.template);
  delete template.metadata?.labels?.['pod-template-hash'];
  await kube.serverSideApply(
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { template } } as V1Deployment,
    { fieldManager: ROLLBACK_FIELD_MANAGER },
  );
  return { revision: Number(previous.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0), replicaSet: previous.metadata!.name! };
}
