import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { MlpConfig, ServiceConfig } from '../config/schema.js';
import { eventLines, otherFailure, podChecks, type PodFacts } from './pods.js';

const service = {
  name: 'fraud',
  replicas: 2,
  resources: { requests: { cpu: '64', memory: '256Mi' }, limits: { cpu: '64', memory: '24Mi' } },
} as unknown as ServiceConfig;
const config = { services: [{ name: 'other' }, service] } as unknown as MlpConfig;

function pod(containers: V1ContainerStatus[], status: Partial<NonNullable<V1Pod['status']>> = {}): V1Pod {
  return {
    metadata: { name: 'fraud-7d9f-abc', namespace: 'ml', creationTimestamp: new Date(Date.now() - 90_000) },
    spec: { nodeName: 'node-a', containers: [{ name: 'serving', image: 'r/fraud@sha256:1', resources: { limits: { memory: '24Mi' } } }] },
    status: { phase: 'Running', containerStatuses: containers, ...status },
  };
}

function serving(state: V1ContainerStatus['state'], more: Partial<V1ContainerStatus> = {}): V1ContainerStatus {
  return { name: 'serving', image: 'r/fraud@sha256:1', imageID: '', ready: false, restartCount: 0, state, ...more };
}

const none: PodFacts = { previousLog: [], unready: undefined, lastRunLog: [], events: [] };
const checks = (p: V1Pod, facts: Partial<PodFacts> = {}) => podChecks(config, service, p, { ...none, ...facts });

describe('podChecks', () => {
  it('passes a running, ready pod without restarts', () => {
    const records = checks(pod([serving({ running: {} }, { ready: true })]));
    expect(records.map((r) => [r.check, r.subject, r.status])).toEqual([
      ['pods.running', 'fraud/fraud-7d9f-abc', 'pass'],
      ['pods.restarts', 'fraud/fraud-7d9f-abc', 'pass'],
    ]);
  });

  it('names CrashLoopBackOff with the previous run’s last lines and counts the restarts', () => {
    const crashing = serving(
      { waiting: { reason: 'CrashLoopBackOff' } },
      { restartCount: 4, lastState: { terminated: { exitCode: 2, reason: 'Error' } } },
    );
    const [running, restarts] = checks(pod([crashing]), { previousLog: ['mlp-serving: invalid environment: LOG_LEVEL: must be one of …'] });
    expect(running).toMatchObject({
      status: 'fail',
      saw: expect.stringContaining('keeps crashing (CrashLoopBackOff, 4 restarts, last exit code 2)'),
    });
    expect(running!.details).toContain('log: mlp-serving: invalid environment: LOG_LEVEL: must be one of …');
    expect(running!.fix).toContain('services[1].env');
    expect(restarts).toMatchObject({
      status: 'fail',
      saw: expect.stringContaining('restarted 4 times; the last run ended with exit code 2 (Error)'),
    });
  });

  it('names OOMKilled with the limit and the mlp.yaml field, not as a detail', () => {
    const killed = serving(
      { waiting: { reason: 'CrashLoopBackOff' } },
      { restartCount: 2, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
    );
    const [running] = checks(pod([killed]));
    expect(running!.saw).toContain('OOMKilled, limit 24Mi');
    expect(running!.fix).toBe('raise services[1].resources.limits.memory in mlp.yaml (now 24Mi; requests.memory with it), then mlp deploy');
    expect(running!.details).toEqual([]);
  });

  it('gives ImagePullBackOff the image and the kubelet’s message', () => {
    const message = 'Back-off pulling image "r/fraud@sha256:1": not found';
    const [running] = checks(pod([serving({ waiting: { reason: 'ImagePullBackOff', message } })], { phase: 'Pending' }));
    expect(running).toMatchObject({ status: 'fail', saw: 'Pending: ImagePullBackOff for image r/fraud@sha256:1', details: [message] });
    expect(running!.fix).toContain('mlp push');
  });

  it('names the missing Secret of CreateContainerConfigError and how to create it', () => {
    const waiting = { reason: 'CreateContainerConfigError', message: 'secret "aws-credentials" not found' };
    const [running] = checks(pod([serving({ waiting })], { phase: 'Pending' }));
    expect(running!.saw).toContain('secret "aws-credentials" not found (CreateContainerConfigError)');
    expect(running!.fix).toContain('kubectl -n ml create secret generic aws-credentials');
  });

  it('gives a Pending pod the scheduler’s reason and the requests to lower, without repeating its event', () => {
    const reason = '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn’t match Pod’s node affinity/selector.';
    const unschedulable = pod([], {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: reason }],
    });
    const event = { reason: 'FailedScheduling', message: reason, count: 3, lastTimestamp: new Date() } as CoreV1Event;
    const [running] = checks(unschedulable, { events: [event] });
    expect(running).toMatchObject({ status: 'fail', saw: 'Pending: cannot be scheduled (FailedScheduling)', details: [reason] });
    expect(running!.fix).toContain('lower services[1].resources.requests.cpu in mlp.yaml (now 64');
  });

  it('adds the pod’s Warning events to a failure', () => {
    const events = [
      {
        reason: 'Unhealthy',
        message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
        count: 7,
        lastTimestamp: new Date(),
      },
    ] as CoreV1Event[];
    const unready = {
      kind: 'rollout' as const,
      message: 'pod fraud-7d9f-abc: container serving runs but never became ready (GET /ready kept failing)',
      details: ['log: warm-up failed'],
    };
    const [running] = checks(pod([serving({ running: {} })]), { unready, events });
    expect(running!.saw).toBe('container serving runs but never became ready (GET /ready kept failing)');
    expect(running!.details![0]).toBe('log: warm-up failed');
    expect(running!.details![1]).toMatch(/^event Unhealthy: Readiness probe failed: .* \(x7, \d+s ago\)$/);
    expect(running!.fix).toContain('services[1].model');
  });

  it('a pod that restarted and runs again fails pods.restarts with that run’s last lines', () => {
    const recovered = serving(
      { running: {} },
      { ready: true, restartCount: 1, lastState: { terminated: { exitCode: 1, reason: 'Error' } } },
    );
    const [running, restarts] = checks(pod([recovered]), { lastRunLog: ['boom'] });
    expect(running!.status).toBe('pass');
    expect(restarts).toMatchObject({ status: 'fail', details: ['log: boom'] });
    expect(restarts!.fix).toContain('logs fraud-7d9f-abc -c serving --previous');
  });

  it('a terminating pod passes: a newer one replaces it', () => {
    const leaving = { ...pod([serving({ running: {} })]), metadata: { name: 'fraud-old', namespace: 'ml', deletionTimestamp: new Date() } };
    expect(checks(leaving)).toEqual([expect.objectContaining({ check: 'pods.running', status: 'pass' })]);
  });
});

describe('otherFailure', () => {
  it('says what a container waits for, an evicted pod and a container that just exited', () => {
    expect(otherFailure(pod([serving({ waiting: { reason: 'ContainerCreating' } })], { phase: 'Pending' }), [])?.message).toMatch(
      /container serving is waiting \(ContainerCreating\), pod Pending since \d+s ago/,
    );
    expect(otherFailure(pod([], { phase: 'Failed', reason: 'Evicted', message: 'low on memory' }), [])?.message).toContain(
      'phase Failed (Evicted: low on memory)',
    );
    const exited = otherFailure(pod([serving({ terminated: { exitCode: 137, reason: 'OOMKilled' } })]), ['last line']);
    expect(exited).toMatchObject({ kind: 'rolloutOOMKilled', details: ['log: last line'] });
    expect(exited!.message).toContain('exited (OOMKilled, limit 24Mi, exit code 137)');
    expect(otherFailure(pod([serving({ running: {} }, { ready: true })]), [])).toBeUndefined();
  });
});

describe('eventLines', () => {
  it('newest first, each reason and message once, at most five', () => {
    const now = Date.now();
    const at = (seconds: number) => new Date(now - seconds * 1000);
    const events = [
      { reason: 'BackOff', message: 'Back-off restarting failed container', count: 9, lastTimestamp: at(5) },
      { reason: 'BackOff', message: 'Back-off restarting failed container', count: 2, lastTimestamp: at(50) },
      { reason: 'Failed', message: 'Error: x', lastTimestamp: at(600) },
      ...Array.from({ length: 6 }, (_, i) => ({ reason: `R${i}`, message: 'm', lastTimestamp: at(1000 + i) })),
    ] as CoreV1Event[];
    const lines = eventLines(events, now);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('event BackOff: Back-off restarting failed container (x9, 5s ago)');
    expect(lines[1]).toBe('event Failed: Error: x (10m ago)');
  });
});
