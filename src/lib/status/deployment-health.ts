/**
 * The verdict on one Deployment from what the API server says of it, without asking anything more: its rollout
 * state (the controller's conditions, and the current revision's pods as the deploy stage's diagnosis reads them),
 * its replica counts, and what makes it degraded. Pure, so the unit tests feed it API objects.
 */
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { isComplete, podFailure, REVISION_ANNOTATION, UNSCHEDULABLE_GRACE_MS } from '../kube/rollout.js';
import type { ImageStatus, ReplicaCounts, RolloutStatus } from './service-status.js';

export const VERSION_LABEL = 'app.kubernetes.io/version';

/** The name podFailure's verdict goes by, as kubectl shows it. */
const FAILURE_REASON: Record<string, string> = {
  rolloutCrashLoop: 'CrashLoopBackOff',
  rolloutOOMKilled: 'OOMKilled',
  rolloutExecFormat: 'ExecFormatError',
  rolloutUnschedulable: 'FailedScheduling',
  rolloutContainerConfig: 'CreateContainerConfigError',
};

export function replicaCounts(deployment: V1Deployment): ReplicaCounts {
  const status = deployment.status ?? {};
  return {
    desired: deployment.spec?.replicas ?? 1,
    updated: status.updatedReplicas ?? 0,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
  };
}

/** The first of `pods` the deploy stage would have failed the rollout for, by its reason and message. */
export function failingPod(pods: readonly V1Pod[], now = Date.now()): { reason: string; message: string } | undefined {
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : now;
    const failure = podFailure(pod, now - created >= UNSCHEDULABLE_GRACE_MS);
    if (!failure) continue;
    const waiting = pod.status?.containerStatuses?.find((container) => container.state?.waiting?.reason)?.state?.waiting?.reason;
    return { reason: FAILURE_REASON[failure.kind] ?? waiting ?? failure.kind, message: failure.message };
  }
  return undefined;
}

/**
 * Where the rollout stands. `pods`: the current revision's pods (its ReplicaSet's pod-template-hash), whose
 * failure the deploy stage would have reported (an image that cannot be pulled, a crash loop, no node for
 * UNSCHEDULABLE_GRACE_MS); when the controller's verdict comes first, that pod's cause goes with it.
 */
export function rolloutStatus(deployment: V1Deployment, pods: readonly V1Pod[], now = Date.now()): RolloutStatus {
  const conditions = deployment.status?.conditions ?? [];
  const observed = (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  const progressing = conditions.find((condition) => condition.type === 'Progressing');
  const replicaFailure = conditions.find((condition) => condition.type === 'ReplicaFailure' && condition.status === 'True');
  const pod = failingPod(pods, now);
  if (observed && progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { state: 'stalled', reason: 'ProgressDeadlineExceeded', message: progressing.message ?? null, cause: pod?.message ?? null };
  }
  if (replicaFailure) {
    return {
      state: 'failed',
      reason: replicaFailure.reason ?? 'ReplicaFailure',
      message: replicaFailure.message ?? null,
      cause: pod?.message ?? null,
    };
  }
  if (observed && isComplete(deployment)) return { state: 'complete', reason: null, message: null, cause: null };
  if (pod) return { state: 'failed', reason: pod.reason, message: pod.message, cause: null };
  return { state: 'progressing', reason: progressing?.reason ?? null, message: null, cause: null };
}

/** The current revision's problems, one line each (empty when it is healthy). */
export function deploymentProblems(replicas: ReplicaCounts, rollout: RolloutStatus): string[] {
  const problems: string[] = [];
  if (replicas.available < replicas.desired) problems.push(`${replicas.available} of ${replicas.desired} replicas available`);
  if (rollout.state === 'stalled' || rollout.state === 'failed') {
    problems.push(`rollout ${rollout.state} (${rollout.reason ?? 'unknown reason'})${rollout.message ? `: ${rollout.message}` : ''}`);
    if (rollout.cause) problems.push(rollout.cause);
  }
  return problems;
}

/** The ReplicaSet the Deployment's revision annotation names (its current pod template). */
export function currentReplicaSet(deployment: V1Deployment, sets: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
  const revision = deployment.metadata?.annotations?.[REVISION_ANNOTATION];
  return sets.find((set) => set.metadata?.annotations?.[REVISION_ANNOTATION] === revision);
}

/** The ReplicaSet made last: when the service was last deployed (a rollback re-labels an older one). */
export function newestReplicaSet(sets: readonly V1ReplicaSet[]): V1ReplicaSet | undefined {
  const created = (set: V1ReplicaSet): number => new Date(set.metadata?.creationTimestamp ?? 0).getTime();
  return [...sets].sort((a, b) => created(b) - created(a))[0];
}

export function revisionOf(deployment: V1Deployment): number | null {
  const revision = Number(deployment.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isInteger(revision) && revision > 0 ? revision : null;
}

/**
 * The image of the container `name` (else the first): the reference in the pod template, its tag when it has one
 * (else `knownTag`, the tag mlp pushed under that digest), and the digest — from the reference (mlp deploys by
 * digest) or from what a running pod's runtime reports.
 */
export function imageStatus(
  deployment: V1Deployment,
  pods: readonly V1Pod[],
  knownTag?: (digest: string) => string | undefined,
): ImageStatus | null {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  const container = containers.find((c) => c.name === 'serving') ?? containers[0];
  if (!container?.image) return null;
  const reference = container.image;
  const [named, digestInReference] = reference.split('@') as [string, string | undefined];
  const running = pods
    .flatMap((pod) => pod.status?.containerStatuses ?? [])
    .find((status) => status.name === container.name && status.imageID?.includes('@sha256:'));
  const digest = digestInReference ?? (running ? `sha256:${running.imageID!.split('@sha256:')[1]}` : null);
  const lastSegment = named.slice(named.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : digest ? (knownTag?.(digest) ?? null) : null;
  return { reference, tag, digest, id: null };
}
