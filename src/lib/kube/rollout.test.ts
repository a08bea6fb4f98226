import type { CoreV1Api, V1ContainerStatus, V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT_CODES } from '../errors.js';
import {
  crashLoopingContainer,
  diagnose,
  isComplete,
  podFailure,
  progressDeadlineFailure,
  quotaFailure,
  quotaSettled,
  UNSCHEDULABLE_GRACE_MS,
  type Clients,
  type RolloutFailure,
} from './rollout.js';

const exitCode = (failure: RolloutFailure | undefined) => (failure ? EXIT_CODES[failure.kind].code : undefined);

function pod(containers: V1ContainerStatus[], extra: Partial<V1Pod['status']> = {}, name = 'api-7d9f-x2'): V1Pod {
  return {
    metadata: { name, namespace: 'ml' },
    spec: { nodeName: 'node-a', containers: [] },
    status: { containerStatuses: containers, ...extra },
  };
}

function container(name: string, state: V1ContainerStatus['state'], more: Partial<V1ContainerStatus> = {}): V1ContainerStatus {
  return { name, image: `registry.local/${name}:1`, imageID: '', ready: false, restartCount: 0, state, ...more };
}

const waiting = (reason: string, message?: string) => ({ waiting: { reason, ...(message ? { message } : {}) } });
const unschedulable: Partial<V1Pod['status']> = {
  conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }],
};

const deployment: V1Deployment = {
  metadata: { name: 'api', namespace: 'ml', generation: 2, uid: 'd-1' },
  spec: { replicas: 2, selector: { matchLabels: { app: 'api' } }, template: {} },
};

function replicaSet(conditions: NonNullable<V1ReplicaSet['status']>['conditions'] = []): V1ReplicaSet {
  return { metadata: { name: 'api-7d9f', labels: { 'pod-template-hash': '7d9f' } }, status: { replicas: 0, conditions } };
}

/** A cluster that answers only what a diagnosis reads: the pods of a selector and a container's previous log. */
function fakeCluster(pods: V1Pod[], logs: Record<string, string> = {}) {
  const reads: string[] = [];
  const core = {
    listNamespacedPod: async ({ labelSelector }: { labelSelector?: string }) => {
      reads.push(`pods ${labelSelector ?? '(all)'}`);
      return { items: pods };
    },
    readNamespacedPodLog: async ({ name, container: which, previous }: { name: string; container: string; previous?: boolean }) => {
      reads.push(`log ${name}/${which}${previous ? ' (previous)' : ''}`);
      return logs[which] ?? '';
    },
  } as unknown as CoreV1Api;
  return { clients: { core, apps: {} } as unknown as Clients, reads };
}

describe('podFailure: why a pod does not run, with its exit code', () => {
  it('blames an image the nodes cannot pull (33) and names the image', () => {
    for (const reason of ['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']) {
      const failure = podFailure(pod([container('server', waiting(reason, 'pull access denied'))]), false);
      expect(exitCode(failure)).toBe(33);
      expect(failure!.message).toBe(`pod api-7d9f-x2: ${reason} for image registry.local/server:1.`);
      expect(failure!.details).toEqual(['pull access denied']);
    }
  });

  it('says what to check when the runtime gives no reason for a failed pull', () => {
    expect(podFailure(pod([container('server', waiting('ErrImagePull'))]), false)!.details).toEqual([
      'check the image reference and that the nodes may pull from the registry',
    ]);
  });

  it('blames a crash loop (34) with the restarts, last exit code, termination message and previous log', () => {
    const crashing = container('server', waiting('CrashLoopBackOff'), {
      restartCount: 4,
      lastState: { terminated: { exitCode: 1, message: 'model.onnx: no such file\n' } },
    });
    const failure = podFailure(pod([crashing]), false, ['loading model', 'Error: ENOENT']);
    expect(exitCode(failure)).toBe(34);
    expect(failure!.message).toBe('pod api-7d9f-x2: container server keeps crashing (CrashLoopBackOff, 4 restarts, last exit code 1).');
    expect(failure!.details).toEqual(['termination message: model.onnx: no such file', 'log: loading model', 'log: Error: ENOENT']);
  });

  it('tells a binary for another CPU (37) from the previous log or the termination message', () => {
    const fromLog = podFailure(pod([container('server', waiting('CrashLoopBackOff'), { restartCount: 2 })]), false, [
      'exec /usr/local/bin/node: exec format error',
    ]);
    expect(exitCode(fromLog)).toBe(37);
    expect(fromLog!.message).toContain('is built for another CPU architecture');
    expect(fromLog!.details.at(-1)).toBe("node node-a; rebuild with mlp build --platform linux/<the nodes' arch>");

    const fromTermination = container('server', waiting('CrashLoopBackOff'), {
      lastState: { terminated: { exitCode: 255, message: 'exec format error' } },
    });
    expect(exitCode(podFailure(pod([fromTermination]), false))).toBe(37);
  });

  it('waits for a node while the grace lasts, then blames FailedScheduling (35)', () => {
    const pending = pod([], unschedulable);
    expect(podFailure(pending, false)).toBeUndefined();
    const failure = podFailure(pending, true);
    expect(exitCode(failure)).toBe(35);
    expect(failure!.message).toBe('pod api-7d9f-x2 cannot be scheduled (FailedScheduling).');
    expect(failure!.details).toEqual(['0/3 nodes are available: 3 Insufficient cpu.']);
  });

  it('has no verdict on a pod that is starting, running or scheduled', () => {
    expect(podFailure(pod([container('server', waiting('ContainerCreating'))]), true)).toBeUndefined();
    expect(podFailure(pod([container('server', { running: { startedAt: new Date() } })]), true)).toBeUndefined();
    expect(podFailure(pod([], { conditions: [{ type: 'PodScheduled', status: 'True' }] }), true)).toBeUndefined();
    expect(podFailure(pod([]), true)).toBeUndefined();
  });

  it('blames the first failing container in the pod', () => {
    const failure = podFailure(
      pod([container('sidecar', waiting('ErrImagePull')), container('server', waiting('CrashLoopBackOff'))]),
      true,
    );
    expect(exitCode(failure)).toBe(33);
    expect(failure!.message).toContain('registry.local/sidecar:1');
  });
});

describe('crashLoopingContainer: whose previous log a diagnosis reads', () => {
  it('is the blamed container when it crash-loops, and none when an image pull is blamed first', () => {
    expect(crashLoopingContainer(pod([container('init', { running: {} }), container('server', waiting('CrashLoopBackOff'))]))).toBe(
      'server',
    );
    expect(
      crashLoopingContainer(pod([container('sidecar', waiting('ImagePullBackOff')), container('server', waiting('CrashLoopBackOff'))])),
    ).toBeUndefined();
    expect(crashLoopingContainer(pod([container('server', waiting('ContainerCreating'))]))).toBeUndefined();
  });
});

describe('quotaFailure and progressDeadlineFailure: what the controllers report', () => {
  it("reads the quota refusal (36) from the newest ReplicaSet's ReplicaFailure condition", () => {
    const refused = replicaSet([
      {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: 'pods "api-7d9f-x2" is forbidden: exceeded quota: mlp, requested: cpu=500m',
      },
    ]);
    const failure = quotaFailure(deployment, refused);
    expect(exitCode(failure)).toBe(36);
    expect(failure!.message).toBe('api: the ResourceQuota of namespace ml refuses the new pods.');
    // A quota that requires requests/limits the pod lacks is worded "failed quota".
    expect(
      quotaFailure(
        deployment,
        replicaSet([{ type: 'ReplicaFailure', status: 'True', message: 'failed quota: mlp: must specify limits.cpu' }]),
      ),
    ).toBeDefined();
  });

  it('ignores a ReplicaFailure that is not about the quota, or no longer true', () => {
    expect(
      quotaFailure(deployment, replicaSet([{ type: 'ReplicaFailure', status: 'True', message: 'serviceaccount "api" not found' }])),
    ).toBeUndefined();
    expect(
      quotaFailure(deployment, replicaSet([{ type: 'ReplicaFailure', status: 'False', message: 'exceeded quota: mlp' }])),
    ).toBeUndefined();
  });

  it('reports ProgressDeadlineExceeded as a failed rollout (32)', () => {
    const stuck = {
      ...deployment,
      status: {
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "api-7d9f" has timed out progressing.',
          },
        ],
      },
    };
    expect(exitCode(progressDeadlineFailure(stuck))).toBe(32);
    expect(
      progressDeadlineFailure({
        ...deployment,
        status: { conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }] },
      }),
    ).toBeUndefined();
  });

  it("ignores the previous rollout's verdict: before the controller saw the change, or written before the watch began", () => {
    const verdict = (lastUpdateTime: Date, observedGeneration: number): V1Deployment => ({
      ...deployment,
      metadata: { ...deployment.metadata, generation: 7 },
      status: {
        observedGeneration,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', lastUpdateTime }],
      },
    });
    const watchStarted = Date.parse('2026-12-03T07:00:00Z');
    expect(progressDeadlineFailure(verdict(new Date(watchStarted + 30_000), 6), watchStarted)).toBeUndefined();
    expect(progressDeadlineFailure(verdict(new Date(watchStarted - 60_000), 7), watchStarted)).toBeUndefined();
    expect(exitCode(progressDeadlineFailure(verdict(new Date(watchStarted + 30_000), 7), watchStarted))).toBe(32);
    // Timestamps have whole seconds: one from the second the watch began counts.
    expect(exitCode(progressDeadlineFailure(verdict(new Date(watchStarted - 500), 7), watchStarted))).toBe(32);
  });
});

describe('isComplete: when a rollout is done', () => {
  const status = (status: NonNullable<V1Deployment['status']>): V1Deployment => ({ ...deployment, status });

  it('is done when the controller saw this generation and every replica is updated and available', () => {
    expect(isComplete(status({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }))).toBe(true);
  });

  it('is not done while the controller lags, old pods remain, or new ones are not available', () => {
    expect(isComplete(status({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }))).toBe(false);
    expect(isComplete(status({ observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }))).toBe(false);
    expect(isComplete(status({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }))).toBe(false);
  });
});

describe('diagnose: the verdict on a rollout from its newest ReplicaSet and pods', () => {
  it('prefixes the Deployment and reads the crash-looping container’s previous log', async () => {
    const { clients, reads } = fakeCluster([pod([container('server', waiting('CrashLoopBackOff'), { restartCount: 3 })])], {
      server: 'exec /app/server: exec format error\n',
    });
    const failure = await diagnose(clients, deployment, replicaSet(), 0);
    expect(exitCode(failure)).toBe(37);
    expect(failure!.message).toMatch(/^api: pod api-7d9f-x2: container server cannot start: exec format error/);
    expect(reads).toEqual(['pods pod-template-hash=7d9f', 'log api-7d9f-x2/server (previous)']);
  });

  it('reads no log for an image that cannot be pulled', async () => {
    const { clients, reads } = fakeCluster([pod([container('server', waiting('ImagePullBackOff'))])]);
    expect(exitCode(await diagnose(clients, deployment, replicaSet(), 0))).toBe(33);
    expect(reads).toEqual(['pods pod-template-hash=7d9f']);
  });

  it('gives a pending pod the scheduling grace, and none at the deadline (patience 0)', async () => {
    const { clients } = fakeCluster([pod([], unschedulable)]);
    expect(await diagnose(clients, deployment, replicaSet(), UNSCHEDULABLE_GRACE_MS - 1)).toBeUndefined();
    expect(exitCode(await diagnose(clients, deployment, replicaSet(), UNSCHEDULABLE_GRACE_MS))).toBe(35);
    expect(exitCode(await diagnose(clients, deployment, replicaSet(), 0, 0))).toBe(35);
  });

  it('blames the quota only once it is final, and looks at the pods meanwhile', async () => {
    const { clients } = fakeCluster([]);
    const refused = replicaSet([{ type: 'ReplicaFailure', status: 'True', message: 'exceeded quota: mlp' }]);
    expect(await diagnose(clients, deployment, refused, 0, UNSCHEDULABLE_GRACE_MS, async () => false)).toBeUndefined();
    expect(exitCode(await diagnose(clients, deployment, refused, 0, UNSCHEDULABLE_GRACE_MS, async () => true))).toBe(36);
  });

  it('asks whether the quota is final only when the quota refuses', async () => {
    const { clients } = fakeCluster([]);
    const asked = vi.fn(async () => true);
    await diagnose(clients, deployment, replicaSet(), 0, UNSCHEDULABLE_GRACE_MS, asked);
    expect(asked).not.toHaveBeenCalled();
  });

  it("falls back to the controller's progress deadline, also before a ReplicaSet exists", async () => {
    const { clients, reads } = fakeCluster([]);
    const stuck = { ...deployment, status: { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] } };
    expect(exitCode(await diagnose(clients, stuck, undefined, 0))).toBe(32);
    expect(reads).toEqual([]);
    expect(await diagnose(clients, deployment, undefined, 0)).toBeUndefined();
  });
});

describe('quotaSettled: when a quota refusal is the verdict', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const terminating = pod([], {}, 'api-old');
  terminating.metadata!.deletionTimestamp = new Date();

  it('is final once nothing has been terminating for 5 s, not at the moment the terminating pod goes', async () => {
    vi.useFakeTimers();
    const pods: V1Pod[] = [terminating];
    const { clients } = fakeCluster(pods);
    const quota = quotaSettled(clients, 'ml');
    expect(await quota.isFinal(false)).toBe(false);
    vi.advanceTimersByTime(10_000);
    // The old pod still counts against the quota until it is gone: the surge pod will be created then.
    expect(await quota.isFinal(false)).toBe(false);
    pods.pop();
    expect(await quota.isFinal(false)).toBe(false);
    vi.advanceTimersByTime(4999);
    expect(await quota.isFinal(false)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await quota.isFinal(false)).toBe(true);
  });

  it('is not final while the quota the refusal names has room again (the controller retries after its backoff)', async () => {
    vi.useFakeTimers();
    const { clients } = fakeCluster([]);
    const used = { pods: '2' };
    Object.assign(clients.core, { readNamespacedResourceQuota: async () => ({ status: { hard: { pods: '2' }, used } }) });
    const refusal = 'pods "api-7d9f-y" is forbidden: exceeded quota: ml-quota, requested: pods=1, used: pods=2, limited: pods=2';
    const quota = quotaSettled(clients, 'ml');
    expect(await quota.isFinal(false, refusal)).toBe(false);
    vi.advanceTimersByTime(5000);
    expect(await quota.isFinal(false, refusal)).toBe(true);
    used.pods = '1';
    expect(await quota.isFinal(false, refusal)).toBe(false);
  });

  it('is final at the deadline whatever else', async () => {
    const { clients, reads } = fakeCluster([terminating]);
    expect(await quotaSettled(clients, 'ml').isFinal(true)).toBe(true);
    expect(reads).toEqual([]);
  });
});
