import type { CoreV1Event, V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { jobEnded, quotaRefusalEvent, trainingFailure, type TrainingJobTarget } from './job-watch.js';

const target: TrainingJobTarget = { namespace: 'ml', name: 'fraud-train-20261202', container: 'train', timeoutSeconds: 3600 };

const job = (...conditions: V1JobCondition[]): V1Job => ({ metadata: { name: target.name }, status: { conditions } });

function trainingPod(terminated: { exitCode: number; message?: string }): V1Pod {
  return {
    metadata: { name: `${target.name}-abcde` },
    status: {
      containerStatuses: [{ name: 'train', image: 'training:1', imageID: '', ready: false, restartCount: 0, state: { terminated } }],
    },
  };
}

describe('jobEnded: when a training Job has finished', () => {
  it('is its Complete or Failed condition once true', () => {
    expect(jobEnded(job({ type: 'Complete', status: 'True' }))?.type).toBe('Complete');
    expect(
      jobEnded(job({ type: 'Suspended', status: 'False' }, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }))?.reason,
    ).toBe('BackoffLimitExceeded');
  });

  it('is undefined while it runs, or while a condition is not yet true', () => {
    expect(jobEnded(job())).toBeUndefined();
    expect(jobEnded({ metadata: { name: target.name } })).toBeUndefined();
    expect(jobEnded(job({ type: 'Failed', status: 'False' }))).toBeUndefined();
    expect(jobEnded(job({ type: 'FailureTarget', status: 'True' }))).toBeUndefined();
  });
});

describe('quotaRefusalEvent: the quota refusing a Job its pod', () => {
  const event = (reason: string, message: string): CoreV1Event => ({ metadata: {}, involvedObject: {}, reason, message });

  it("is the Job controller's FailedCreate event that names the quota", () => {
    const refused = event('FailedCreate', 'Error creating: pods "x" is forbidden: exceeded quota: mlp, requested: memory=4Gi');
    expect(quotaRefusalEvent([event('SuccessfulCreate', 'Created pod: x'), refused])).toBe(refused);
  });

  it('is the latest refusal: an earlier one may name a quota that has room by now', () => {
    const at = (message: string, time: string): CoreV1Event => ({ ...event('FailedCreate', message), lastTimestamp: new Date(time) });
    const earlier = at('Error creating: exceeded quota: mlp-quota, requested: limits.memory=1Gi, used: …', '2026-12-03T07:11:49Z');
    const later = at('Error creating: exceeded quota: no-more-pods, requested: pods=1, used: pods=1', '2026-12-03T07:11:50Z');
    expect(quotaRefusalEvent([earlier, later])).toBe(later);
    expect(quotaRefusalEvent([later, earlier])).toBe(later);
  });

  it('ignores other failures to create the pod, and quota words in other events', () => {
    expect(
      quotaRefusalEvent([event('FailedCreate', 'Error creating: serviceaccount "train" not found'), event('Warning', 'exceeded quota')]),
    ).toBeUndefined();
    expect(quotaRefusalEvent([])).toBeUndefined();
  });
});

describe('trainingFailure: why a Job that ended Failed failed', () => {
  const failed = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };

  it('blames another CPU (37) when the log or termination message says exec format error', () => {
    const error = trainingFailure(target, job(), trainingPod({ exitCode: 255 }), failed, ['exec /usr/bin/python3: exec format error']);
    expect(error.exitCode).toBe(37);
    expect(error.details.at(-1)).toBe("rebuild with mlp build --platform linux/<the nodes' arch>");
    expect(trainingFailure(target, job(), trainingPod({ exitCode: 255, message: 'exec format error' }), failed, []).exitCode).toBe(37);
  });

  it('says training.timeoutSeconds passed when the Job hit its deadline (10)', () => {
    const error = trainingFailure(target, job(), undefined, { reason: 'DeadlineExceeded' }, []);
    expect(error.exitCode).toBe(10);
    expect(error.message).toBe(
      `Training Job ${target.name} ran out of time: training.timeoutSeconds (3600 s) passed; nothing was registered.`,
    );
    expect(error.hint).toMatch(/^raise training\.timeoutSeconds/);
  });

  it("gives the training command's exit code, termination message and log (10)", () => {
    const error = trainingFailure(target, job(), trainingPod({ exitCode: 2, message: 'KeyError: amount\n' }), failed, [
      'reading data',
      'KeyError: amount',
    ]);
    expect(error.exitCode).toBe(10);
    expect(error.message).toBe(`The training command in Job ${target.name} exited with code 2; nothing was registered.`);
    expect(error.details).toEqual(['termination message: KeyError: amount', 'log: reading data', 'log: KeyError: amount']);
    expect(error.hint).toContain(`kubectl -n ml logs job/${target.name}`);
  });

  it("explains the entrypoint's own exit codes 3 and 4", () => {
    expect(trainingFailure(target, job(), trainingPod({ exitCode: 3 }), failed, []).message).toContain(
      '(3: no model.onnx in MLP_OUTPUT_DIR; 4: the upload to training.remote.artifacts failed)',
    );
    expect(trainingFailure(target, job(), trainingPod({ exitCode: 4 }), failed, []).message).toContain(
      'exited with code 4 (3: no model.onnx',
    );
  });

  it("falls back to the Job's reason and conditions when there is no pod to tell", () => {
    const conditions = [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }];
    const error = trainingFailure(target, job(...conditions), undefined, failed, []);
    expect(error.message).toBe(
      `The training command in Job ${target.name} failed (BackoffLimitExceeded: Job has reached the specified backoff limit); nothing was registered.`,
    );
    expect(error.details).toEqual([`Job status: ${JSON.stringify(conditions)}`]);
  });
});
