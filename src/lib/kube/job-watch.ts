/**
 * Waits for a training Job to complete while streaming its pod's log, and fails with the cause when it cannot:
 * the image cannot be pulled, the pod cannot be scheduled, the namespace's quota refuses it, the binary is for
 * another CPU, the training exits non-zero, or activeDeadlineSeconds passes. The pod-level causes are the ones a
 * Deployment's rollout has (rollout.ts), with the same exit codes.
 */
import type { CoreV1Event, V1Job, V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { MlpError } from '../errors.js';
import type { KubeClient } from './client.js';
import { followPodLog, podLogTail, type PodLogFollower } from './pod-log.js';
import {
  eventTime,
  EXEC_FORMAT,
  memoryLimit,
  podCause,
  QUOTA_REFUSAL,
  quotaSettled,
  UNSCHEDULABLE_GRACE_MS,
  type Clients,
} from './rollout.js';

const POLL_MS = 1000;
/** After the Job ends, how long the log stream may take to deliver its last lines. */
const LOG_DRAIN_MS = 2000;
/** The Job controller enforces activeDeadlineSeconds; mlp gives up itself only if that did not happen in this margin. */
const DEADLINE_MARGIN_MS = 60_000;
const TAIL_LINES = 20;

export interface TrainingJobTarget {
  namespace: string;
  name: string;
  /** The training container's name in the pod template. */
  container: string;
  /** training.timeoutSeconds, which the Job carries as activeDeadlineSeconds. */
  timeoutSeconds: number;
}

export interface TrainingJobOutcome {
  pod: string;
  seconds: number;
  logLines: number;
}

export async function watchTrainingJob(
  kube: KubeClient,
  target: TrainingJobTarget,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<TrainingJobOutcome> {
  const startedAt = Date.now();
  const giveUpAt = startedAt + target.timeoutSeconds * 1000 + DEADLINE_MARGIN_MS;
  const quota = quotaSettled(kube, target.namespace);
  let follower: PodLogFollower | undefined;
  let followed = '';
  let last = '';
  try {
    for (;;) {
      const job = await kube.batch.readNamespacedJob({ name: target.name, namespace: target.namespace });
      const pod = await newestPod(kube, target);
      if (pod && pod.metadata!.name !== followed && containerStarted(pod, target.container)) {
        await follower?.stop();
        followed = pod.metadata!.name!;
        follower = await followPodLog(
          kube,
          { namespace: target.namespace, pod: followed, container: target.container },
          log,
          TAIL_LINES,
        ).catch(() => undefined);
      }
      const ended = jobEnded(job);
      if (ended) {
        await follower?.stop(LOG_DRAIN_MS);
        if (ended.type === 'Complete')
          return { pod: pod?.metadata?.name ?? '', seconds: (Date.now() - startedAt) / 1000, logLines: follower?.lines ?? 0 };
        throw await jobFailure(kube, target, job, pod, ended, follower);
      }
      // The quota can only be what stops the Job when it has no pod at all (its FailedCreate events stay behind).
      const cause = pod
        ? await podCause(kube, pod, Date.now() - startedAt >= UNSCHEDULABLE_GRACE_MS)
        : await quotaRefusal(kube, target, quota, Date.now() > giveUpAt);
      if (cause)
        throw new MlpError(cause.kind, `Training Job ${target.name}: ${cause.message}`, {
          details: cause.details.filter(Boolean),
          hint: inspectHint(target),
        });

      const progress = pod
        ? `training Job ${target.name}: pod ${pod.metadata!.name} ${pod.status?.phase ?? 'Pending'}`
        : `training Job ${target.name}: waiting for its pod`;
      if (progress !== last) log(progress);
      last = progress;
      if (Date.now() > giveUpAt) {
        throw new MlpError(
          'training',
          `Training Job ${target.name} did not finish within training.timeoutSeconds (${target.timeoutSeconds} s).`,
          { details: [progress], hint: inspectHint(target) },
        );
      }
      await sleep(POLL_MS, undefined, { signal });
    }
  } finally {
    await follower?.stop();
  }
}

/** The Job's Complete or Failed condition once it has one (a Job that has finished), else undefined. */
export function jobEnded(job: V1Job) {
  return job.status?.conditions?.find(
    (candidate) => (candidate.type === 'Complete' || candidate.type === 'Failed') && candidate.status === 'True',
  );
}

async function newestPod(c: Clients, target: TrainingJobTarget): Promise<V1Pod | undefined> {
  const { items } = await c.core.listNamespacedPod({
    namespace: target.namespace,
    labelSelector: `batch.kubernetes.io/job-name=${target.name}`,
  });
  return items.sort((a, b) =>
    String(b.metadata?.creationTimestamp?.toISOString() ?? '').localeCompare(String(a.metadata?.creationTimestamp?.toISOString() ?? '')),
  )[0];
}

function containerStarted(pod: V1Pod, container: string): boolean {
  const status = pod.status?.containerStatuses?.find((candidate) => candidate.name === container);
  return status?.state?.running !== undefined || status?.state?.terminated !== undefined;
}

/** The Job controller cannot create the pod when the quota refuses it; it says so only in an event. */
async function quotaRefusal(c: Clients, target: TrainingJobTarget, quota: ReturnType<typeof quotaSettled>, pastDeadline: boolean) {
  const { items } = await c.core.listNamespacedEvent({
    namespace: target.namespace,
    fieldSelector: `involvedObject.kind=Job,involvedObject.name=${target.name}`,
  });
  const refused = quotaRefusalEvent(items);
  if (!refused || !(await quota.isFinal(pastDeadline, refused.message))) return undefined;
  return {
    kind: 'rolloutQuota' as const,
    message: `the ResourceQuota of namespace ${target.namespace} refuses its pod.`,
    details: [refused.message ?? ''],
  };
}

/**
 * Among a Job's events, the Job controller's latest report that a ResourceQuota refused to let it create the pod.
 * The latest: an earlier refusal may name a quota that has room by now (a pod that was terminating then), while
 * another quota still refuses.
 */
export function quotaRefusalEvent(events: readonly CoreV1Event[]): CoreV1Event | undefined {
  return events
    .filter((event) => event.reason === 'FailedCreate' && QUOTA_REFUSAL.test(event.message ?? ''))
    .sort((a, b) => eventTime(b) - eventTime(a))[0];
}

async function jobFailure(
  c: Clients,
  target: TrainingJobTarget,
  job: V1Job,
  pod: V1Pod | undefined,
  failed: { reason?: string; message?: string },
  follower: PodLogFollower | undefined,
): Promise<MlpError> {
  const logs =
    follower && follower.tail.length > 0
      ? [...follower.tail]
      : pod
        ? await podLogTail(c.core, { namespace: target.namespace, pod: pod.metadata!.name!, container: target.container }, TAIL_LINES)
        : [];
  return trainingFailure(target, job, pod, failed, logs);
}

/**
 * Why a training Job that ended Failed failed, from the Job, its pod and the last lines of the training container's
 * log: exec format error (the image is for another CPU), its deadline, or the training command's exit code.
 */
export function trainingFailure(
  target: TrainingJobTarget,
  job: V1Job,
  pod: V1Pod | undefined,
  failed: { reason?: string; message?: string },
  logs: readonly string[],
): MlpError {
  const terminated = pod?.status?.containerStatuses?.find((status) => status.name === target.container)?.state?.terminated;
  const details = [
    ...(terminated?.message ? [`termination message: ${terminated.message.trim()}`] : []),
    ...logs.map((line) => `log: ${line}`),
  ];
  const hint = inspectHint(target);
  if ([terminated?.message ?? '', ...logs].some((line) => EXEC_FORMAT.test(line))) {
    return new MlpError(
      'rolloutExecFormat',
      `Training Job ${target.name}: exec format error — its image is built for another CPU architecture than the node's.`,
      {
        details: [...details, "rebuild with mlp build --platform linux/<the nodes' arch>"],
        hint,
      },
    );
  }
  if (terminated?.reason === 'OOMKilled') {
    const limit = memoryLimit(pod, target.container);
    return new MlpError(
      'rolloutOOMKilled',
      `Training Job ${target.name}: the training container was killed for using more memory than its limit (OOMKilled${limit ? `, limit ${limit}` : ''}); nothing was registered.`,
      { details: [...details, 'raise training.remote.resources.limits.memory in mlp.yaml'], hint },
    );
  }
  if (failed.reason === 'DeadlineExceeded') {
    return new MlpError(
      'training',
      `Training Job ${target.name} ran out of time: training.timeoutSeconds (${target.timeoutSeconds} s) passed; nothing was registered.`,
      {
        details,
        hint: `raise training.timeoutSeconds in mlp.yaml, or train on less data. ${hint}`,
      },
    );
  }
  const how =
    terminated?.exitCode !== undefined
      ? `exited with code ${terminated.exitCode}`
      : `failed (${failed.reason ?? 'Failed'}${failed.message ? `: ${failed.message}` : ''})`;
  const upload =
    terminated?.exitCode === 3 || terminated?.exitCode === 4
      ? ' (3: no model.onnx in MLP_OUTPUT_DIR; 4: the upload to training.remote.artifacts failed)'
      : '';
  return new MlpError('training', `The training command in Job ${target.name} ${how}${upload}; nothing was registered.`, {
    details: details.length > 0 ? details : [`Job status: ${JSON.stringify(job.status?.conditions ?? [])}`],
    hint,
  });
}

function inspectHint(target: TrainingJobTarget): string {
  return `kubectl -n ${target.namespace} logs job/${target.name}; kubectl -n ${target.namespace} describe job/${target.name} (kept a week)`;
}
