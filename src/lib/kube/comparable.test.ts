import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { comparable, sameComparable } from './comparable.js';

/** A Deployment as the API server returns it: with what the server maintains around what mlp applied. */
function live(
  overrides: { image?: string; revision?: string; resourceVersion?: string; annotations?: Record<string, string> } = {},
): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'api',
      namespace: 'ml',
      labels: { 'app.kubernetes.io/managed-by': 'mlp' },
      annotations: { 'deployment.kubernetes.io/revision': overrides.revision ?? '3', ...overrides.annotations },
      resourceVersion: overrides.resourceVersion ?? '1041',
      uid: '5f0c0c5e-1d5b-4c43-9a3c-3c1a4b1d7c11',
      generation: 3,
      creationTimestamp: new Date('2026-12-01T10:00:00Z'),
      managedFields: [{ manager: 'mlp', operation: 'Apply' }],
      selfLink: '/apis/apps/v1/namespaces/ml/deployments/api',
    },
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'server', image: overrides.image ?? 'api:1' }] } } },
    status: { replicas: 2, availableReplicas: 2, observedGeneration: 3 },
  } as KubernetesObject;
}

describe('comparable: an object without what the server maintains', () => {
  it('drops status, the server-kept metadata and the revision counter, and keeps what mlp applied', () => {
    expect(comparable(live())).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'ml', labels: { 'app.kubernetes.io/managed-by': 'mlp' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'server', image: 'api:1' }] } } },
    });
  });

  it('keeps annotations other than the revision counter', () => {
    expect(comparable(live({ annotations: { 'mlp.dev/config-hash': 'abc' } }))!.metadata).toMatchObject({
      annotations: { 'mlp.dev/config-hash': 'abc' },
    });
  });

  it('leaves the object it was given untouched', () => {
    const object = live();
    const before = structuredClone(object);
    comparable(object);
    expect(object).toEqual(before);
  });

  it('is undefined for an object that does not exist', () => {
    expect(comparable(undefined)).toBeUndefined();
  });
});

describe('sameComparable: what counts as a change', () => {
  it('is no change when only the server moved: resourceVersion, revision, status, managedFields', () => {
    const after = live({ resourceVersion: '2077', revision: '4' });
    (after as { status: unknown }).status = { replicas: 3 };
    expect(sameComparable(live(), after)).toBe(true);
  });

  it('is no change when the keys come back in another order', () => {
    const reordered = live();
    reordered.metadata = Object.fromEntries(Object.entries(reordered.metadata!).reverse());
    expect(sameComparable(live(), reordered)).toBe(true);
  });

  it('is a change when anything mlp applies differs: an image, an annotation, a label', () => {
    expect(sameComparable(live(), live({ image: 'api:2' }))).toBe(false);
    expect(sameComparable(live(), live({ annotations: { 'mlp.dev/config-hash': 'def' } }))).toBe(false);
    const relabelled = live();
    relabelled.metadata!.labels = { ...relabelled.metadata!.labels, 'mlp.dev/service': 'api' };
    expect(sameComparable(live(), relabelled)).toBe(false);
  });

  it('is a change when the object is created or deleted', () => {
    expect(sameComparable(undefined, live())).toBe(false);
    expect(sameComparable(live(), undefined)).toBe(false);
    expect(sameComparable(undefined, undefined)).toBe(true);
  });
});
