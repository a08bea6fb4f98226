import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { deploymentProblems, imageStatus, newestReplicaSet, replicaCounts, rolloutStatus } from './deployment-health.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function deployment(
  status: V1Deployment['status'],
  overrides: { generation?: number; image?: string; replicas?: number } = {},
): V1Deployment {
  return {
    metadata: {
      name: 'fraud',
      namespace: 'ml',
      generation: overrides.generation ?? 2,
      annotations: { 'deployment.kubernetes.io/revision': '3' },
    },
    spec: {
      replicas: overrides.replicas ?? 2,
      selector: { matchLabels: { app: 'fraud' } },
      template: { spec: { containers: [{ name: 'serving', image: overrides.image ?? `registry:5000/ml/fraud@${DIGEST}` }] } },
    },
    status: { observedGeneration: 2, ...status },
  };
}

const complete = { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 };

function pod(containerState: NonNullable<V1Pod['status']>['containerStatuses'], createdMsAgo = 0, now = Date.now()): V1Pod {
  return {
    metadata: { name: 'fraud-abc-1', namespace: 'ml', creationTimestamp: new Date(now - createdMsAgo) },
    spec: { containers: [{ name: 'serving' }] },
    status: { containerStatuses: containerState },
  };
}

describe('rolloutStatus', () => {
  it('is complete when every replica is updated and available and the controller saw the change', () => {
    expect(rolloutStatus(deployment(complete), [])).toEqual({ state: 'complete', reason: null, message: null, cause: null });
    // The controller has not observed generation 2 yet: whatever the counts say, the rollout is under way.
    expect(rolloutStatus(deployment({ ...complete, observedGeneration: 1 }), []).state).toBe('progressing');
  });

  it("is stalled with the controller's reason, and names the failing pod's cause beside it", () => {
    const stalled = deployment({
      ...complete,
      updatedReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "fraud-abc" has timed out progressing.',
        },
      ],
    });
    const pulling = pod([
      {
        name: 'serving',
        image: 'registry:5000/ml/fraud:nope',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } },
      },
    ]);
    const status = rolloutStatus(stalled, [pulling]);
    expect(status).toMatchObject({
      state: 'stalled',
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "fraud-abc" has timed out progressing.',
    });
    expect(status.cause).toContain('ImagePullBackOff for image registry:5000/ml/fraud:nope');
    expect(deploymentProblems(replicaCounts(stalled), status)).toEqual([
      'rollout stalled (ProgressDeadlineExceeded): ReplicaSet "fraud-abc" has timed out progressing.',
      status.cause,
    ]);
  });

  it('is failed when a pod of the current revision crash-loops, before the deadline', () => {
    const crashing = pod([
      {
        name: 'serving',
        image: 'x',
        imageID: '',
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode: 2, reason: 'Error' } },
      },
    ]);
    const status = rolloutStatus(deployment({ ...complete, updatedReplicas: 1 }), [crashing]);
    expect(status).toMatchObject({ state: 'failed', reason: 'CrashLoopBackOff' });
    expect(status.message).toContain('keeps crashing (CrashLoopBackOff, 4 restarts, last exit code 2)');
  });

  it('gives a pending pod UNSCHEDULABLE_GRACE_MS before FailedScheduling is the verdict', () => {
    const now = Date.now();
    const pending = (ago: number): V1Pod => ({
      ...pod([], ago, now),
      status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] },
    });
    const want = deployment({ ...complete, updatedReplicas: 0, replicas: 3 }, { replicas: 3 });
    expect(rolloutStatus(want, [pending(5_000)], now).state).toBe('progressing');
    expect(rolloutStatus(want, [pending(120_000)], now)).toMatchObject({ state: 'failed', reason: 'FailedScheduling' });
  });

  it('is failed with the ReplicaFailure reason when the controller cannot create pods', () => {
    const refused = deployment({
      replicas: 1,
      availableReplicas: 1,
      conditions: [
        { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "fraud-x" is forbidden: exceeded quota' },
      ],
    });
    expect(rolloutStatus(refused, [])).toMatchObject({ state: 'failed', reason: 'FailedCreate' });
  });
});

describe('deploymentProblems', () => {
  it('says so when fewer replicas are available than desired', () => {
    const counts = replicaCounts(deployment({ replicas: 2, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 }));
    expect(counts).toEqual({ desired: 2, updated: 2, ready: 1, available: 1 });
    expect(deploymentProblems(counts, { state: 'progressing', reason: null, message: null, cause: null })).toEqual([
      '1 of 2 replicas available',
    ]);
    expect(
      deploymentProblems(replicaCounts(deployment(complete)), { state: 'complete', reason: null, message: null, cause: null }),
    ).toEqual([]);
  });
});

describe('imageStatus', () => {
  it('takes the digest from a by-digest reference and the tag mlp pushed under it', () => {
    const image = imageStatus(deployment(complete), [], (digest) => (digest === DIGEST ? '3f2a9c1b0d4e5f67' : undefined));
    expect(image).toEqual({ reference: `registry:5000/ml/fraud@${DIGEST}`, tag: '3f2a9c1b0d4e5f67', digest: DIGEST, id: null });
  });

  it('takes the tag from the reference and the digest from what a running pod reports', () => {
    const running = pod([
      { name: 'serving', image: 'x', imageID: `docker-pullable://registry:5000/ml/fraud@${DIGEST}`, ready: true, restartCount: 0 },
    ]);
    const image = imageStatus(deployment(complete, { image: 'registry:5000/ml/fraud:v1' }), [running]);
    expect(image).toEqual({ reference: 'registry:5000/ml/fraud:v1', tag: 'v1', digest: DIGEST, id: null });
    // A registry port is not a tag.
    expect(imageStatus(deployment(complete, { image: 'registry:5000/ml/fraud' }), [])?.tag).toBeNull();
  });
});

describe('newestReplicaSet', () => {
  it('is the one created last, whatever its revision', () => {
    const set = (name: string, created: string, revision: string) => ({
      metadata: { name, creationTimestamp: new Date(created), annotations: { 'deployment.kubernetes.io/revision': revision } },
    });
    const sets = [set('a', '2026-12-01T10:00:00Z', '4'), set('b', '2026-12-02T10:00:00Z', '3')];
    expect(newestReplicaSet(sets)?.metadata?.name).toBe('b');
  });
});
