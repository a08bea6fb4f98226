/** Objects as they compare between reads: without the fields the API server maintains. */
import type { KubernetesObject } from '@kubernetes/client-node';

const SERVER_FIELDS = ['resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields', 'selfLink'];

/** The object without what the server maintains, so two reads of an unchanged object compare equal. */
export function comparable(object: KubernetesObject | undefined): Record<string, unknown> | undefined {
  if (!object) return undefined;
  const copy = structuredClone(object) as Record<string, unknown> & { metadata?: Record<string, unknown> };
  delete copy.status;
  for (const field of SERVER_FIELDS) delete copy.metadata?.[field];
  const annotations = copy.metadata?.annotations as Record<string, string> | undefined;
  // The Deployment controller's revision counter changes without anything mlp applies changing.
  if (annotations) delete annotations['deployment.kubernetes.io/revision'];
  if (annotations && Object.keys(annotations).length === 0) delete copy.metadata!.annotations;
  return copy;
}

/** The value with every object's keys in order, so JSON texts of equal objects are equal. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, inner]) => [key, sortedKeys(inner)]),
  );
}

/** Whether two reads (or a read and a dry run) of an object differ in anything but what the server maintains. */
export function sameComparable(before: KubernetesObject | undefined, after: KubernetesObject | undefined): boolean {
  return JSON.stringify(sortedKeys(comparable(before))) === JSON.stringify(sortedKeys(comparable(after)));
}
