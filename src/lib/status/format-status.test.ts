import { describe, expect, it } from 'vitest';
import { ago, formatStatus } from './format-status.js';
import { statusFailure, withVerdict, type NodegroupStatus, type ServiceStatus } from './service-status.js';

const NOW = Date.parse('2026-12-03T08:00:00Z');
const DIGEST = `sha256:${'b'.repeat(64)}`;

const healthy: ServiceStatus = {
  service: 'fraud',
  target: 'eks',
  healthy: true,
  problems: [],
  image: { reference: `127.0.0.1:5000/ml/fraud@${DIGEST}`, tag: '3f2a9c1b0d4e5f67', digest: DIGEST, id: null },
  version: '20261203-074501-ab12',
  replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
  rollout: { state: 'complete', reason: null, message: null, cause: null },
  autoscaler: { current: 2, desired: 2, min: 2, max: 10, metrics: [{ resource: 'cpu', current: 12, target: 70 }] },
  lastDeploy: { revision: 3, at: '2026-12-03T07:55:00.000Z' },
  endpoint: { kind: 'cluster-ip', url: 'http://fraud.ml.svc', address: '10.96.0.12:80' },
  container: null,
};

const nodegroup = (desired: number, status = 'ACTIVE'): NodegroupStatus => ({
  name: 'workers',
  cluster: 'ml',
  status,
  scaling: { min: 0, desired, max: 4 },
  nodes: { ready: desired, total: desired },
  healthy: status === 'ACTIVE',
  problems: status === 'ACTIVE' ? [] : [`the nodegroup is ${status}`],
});

const report = (services: ServiceStatus[], ng: NodegroupStatus | null = null) =>
  withVerdict({ target: 'eks', namespace: 'ml', cluster: 'kubeconfig context bench', services, nodegroup: ng });

describe('formatStatus', () => {
  it('prints every field of a healthy service and the nodegroup', () => {
    const text = formatStatus(report([healthy], nodegroup(2)), { green: (t) => t, red: (t) => t, yellow: (t) => t, now: NOW });
    expect(text).toBe(
      [
        'Namespace ml on kubeconfig context bench',
        '',
        'fraud  healthy',
        `  image       127.0.0.1:5000/ml/fraud@${DIGEST} (tag 3f2a9c1b0d4e5f67)`,
        '  version     20261203-074501-ab12',
        '  replicas    2/2 available · 2 ready · 2 updated · 2 desired',
        '  rollout     complete',
        '  autoscaler  2 current, 2 desired (min 2, max 10) · cpu 12%/70%',
        '  deployed    revision 3 · 2026-12-03T07:55:00Z (5 min ago)',
        '  endpoint    http://fraud.ml.svc (ClusterIP 10.96.0.12:80; inside the cluster only)',
        '',
        'nodegroup workers (EKS cluster ml): ACTIVE · min 0 / desired 2 / max 4 · 2/2 nodes Ready',
      ].join('\n'),
    );
  });

  it("lists a degraded service's problems under it", () => {
    const stalled: ServiceStatus = {
      ...healthy,
      healthy: false,
      problems: [
        '1 of 2 replicas available',
        'rollout stalled (ProgressDeadlineExceeded): ReplicaSet "fraud-x" has timed out progressing.',
      ],
      rollout: {
        state: 'stalled',
        reason: 'ProgressDeadlineExceeded',
        message: 'ReplicaSet "fraud-x" has timed out progressing.',
        cause: null,
      },
    };
    const text = formatStatus(report([stalled]), { green: (t) => t, red: (t) => t, yellow: (t) => t, now: NOW });
    expect(text).toContain('fraud  degraded');
    expect(text).toContain('  rollout     stalled (ProgressDeadlineExceeded)');
    expect(text).toContain('  problem     1 of 2 replicas available');
  });
});

describe('statusFailure', () => {
  it('is nothing when all is healthy', () => {
    expect(statusFailure(report([healthy], nodegroup(2)))).toBeUndefined();
  });

  it('is degraded (41), naming the services and their problems', () => {
    const down = { ...healthy, service: 'churn', healthy: false, problems: ['0 of 2 replicas available'] };
    const failure = statusFailure(report([healthy, down]));
    expect(failure?.exitCode).toBe(41);
    expect(failure?.message).toBe('1 of 2 services degraded: churn.');
    expect(failure?.details).toEqual(['churn: 0 of 2 replicas available']);
  });

  it('is scaledToZero (42) when the nodegroup is at zero, whatever the services say', () => {
    const down = { ...healthy, healthy: false, problems: ['0 of 2 replicas available'] };
    const failure = statusFailure(report([down], nodegroup(0)));
    expect(failure?.exitCode).toBe(42);
    expect(failure?.hint).toBe('mlp scale up');
    expect(report([healthy], nodegroup(0)).healthy).toBe(false);
  });

  it('is degraded when the nodegroup is', () => {
    expect(statusFailure(report([healthy], nodegroup(2, 'DEGRADED')))?.details).toEqual(['nodegroup workers: the nodegroup is DEGRADED']);
  });
});

describe('ago', () => {
  it('rounds to the largest unit', () => {
    expect([ago(4_000), ago(300_000), ago(3 * 3_600_000), ago(49 * 3_600_000)]).toEqual(['4 s ago', '5 min ago', '3 h ago', '2 d ago']);
  });
});
