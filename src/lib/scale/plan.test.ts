import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { servicesToPark } from './park-services.js';
import { isEvictable, nodesToRemove, selects, type AffectedWorkload, type PlanNode } from './plan.js';

const pods = (n: number): V1Pod[] => Array.from({ length: n }, (_, i) => ({ metadata: { name: `p${i}`, namespace: 'ml' } }));
const node = (name: string, podCount: number, cordonedByMlp = false): PlanNode => ({
  name,
  ready: true,
  unschedulable: cordonedByMlp,
  cordonedByMlp,
  pods: pods(podCount),
});

describe('nodesToRemove', () => {
  const nodes = [node('a', 5), node('b', 1), node('c', 3)];

  it('takes every node when the nodegroup goes to zero', () => {
    expect(nodesToRemove(nodes, 0).map((n) => n.name)).toEqual(['b', 'c', 'a']);
  });

  it('takes the nodes with the fewest pods when some stay', () => {
    expect(nodesToRemove(nodes, 2).map((n) => n.name)).toEqual(['b']);
    expect(nodesToRemove(nodes, 3)).toEqual([]);
    expect(nodesToRemove(nodes, 5)).toEqual([]);
  });

  it('continues with the nodes an unfinished run cordoned', () => {
    expect(nodesToRemove([...nodes, node('d', 9, true)], 3).map((n) => n.name)).toEqual(['d']);
  });
});

describe('isEvictable', () => {
  it('leaves DaemonSet pods, mirror pods, finished and deleting pods alone, as kubectl drain does', () => {
    const owned = (kind: string): V1Pod => ({
      metadata: { ownerReferences: [{ kind, name: 'x', uid: '1', apiVersion: 'apps/v1', controller: true }] },
    });
    expect(isEvictable(owned('ReplicaSet'))).toBe(true);
    expect(isEvictable(owned('DaemonSet'))).toBe(false);
    expect(isEvictable({ metadata: { annotations: { 'kubernetes.io/config.mirror': 'abc' } } })).toBe(false);
    expect(isEvictable({ metadata: {}, status: { phase: 'Succeeded' } })).toBe(false);
    expect(isEvictable({ metadata: { deletionTimestamp: new Date() } })).toBe(false);
    expect(isEvictable({ metadata: {}, status: { phase: 'Running' } })).toBe(true);
  });
});

describe('selects', () => {
  it('matches labels and expressions as the API server does', () => {
    const labels = { app: 'api', tier: 'web' };
    expect(selects({ matchLabels: { app: 'api' } }, labels)).toBe(true);
    expect(selects({ matchLabels: { app: 'db' } }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'x'] }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, labels)).toBe(false);
    expect(selects({}, labels)).toBe(true);
    expect(selects(undefined, labels)).toBe(false);
  });
});

describe('servicesToPark: the project services a scale down to zero stops instead of draining', () => {
  const workload = (over: Partial<AffectedWorkload>): AffectedWorkload => ({
    kind: 'Deployment',
    namespace: 'ml',
    name: 'api',
    service: 'api',
    losing: 2,
    replicas: 2,
    budgets: [],
    ...over,
  });

  it('parks a service of the project that loses every pod, only when the nodegroup goes to zero', () => {
    expect(servicesToPark([workload({})], 'ml', 0).map((w) => w.name)).toEqual(['api']);
    expect(servicesToPark([workload({})], 'ml', 1)).toEqual([]);
  });

  it('drains the rest: pods elsewhere too, other namespaces, other teams', () => {
    expect(servicesToPark([workload({ losing: 1 })], 'ml', 0)).toEqual([]);
    expect(servicesToPark([workload({ namespace: 'other' })], 'ml', 0)).toEqual([]);
    expect(servicesToPark([workload({ service: undefined })], 'ml', 0)).toEqual([]);
    expect(servicesToPark([workload({ kind: 'StatefulSet' })], 'ml', 0)).toEqual([]);
  });
});
