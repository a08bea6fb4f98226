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
