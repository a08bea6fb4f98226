/**
 * A ResourceQuota that shrinks must not shrink before the rollout: the old pods count against it until they are
 * gone, so a quota sized for the new, smaller pods refuses the rolling update's surge pod (exit 36) although the
 * release fits once it is done. The deploy applies each shrinking quota as the larger of live and rendered values
 * for every resource, and the rendered quota once every rollout has finished.
 */
import type { KubernetesObject, V1ResourceQuota } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { readOrUndefined } from '../kube/apply.js';
import { cpuMillis, memoryBytes } from '../render/quantities.js';

export interface QuotaTransition {
  /** `objects` with each shrinking ResourceQuota widened to cover the live one too. */
  objects: KubernetesObject[];
  /** The rendered quotas that were widened: apply them after the rollouts. Empty when none shrinks. */
  final: KubernetesObject[];
}

/** Compares two quantities of the resource `key` (cpu in millicores, the rest as bytes or plain counts). */
function amount(key: string, quantity: string): number {
  return /(^|\.)cpu$/.test(key) ? cpuMillis(quantity) : memoryBytes(quantity);
}

/** Whether `current` is more than `rendered`; false when either is not a quantity mlp reads (it is then left as rendered). */
function larger(key: string, current: string, rendered: string): boolean {
  try {
    return amount(key, current) > amount(key, rendered);
  } catch {
    return false;
  }
}

export async function quotaTransition(kube: KubeClient, objects: readonly KubernetesObject[]): Promise<QuotaTransition> {
  const final: KubernetesObject[] = [];
  const widened: KubernetesObject[] = [];
  for (const object of objects) {
    if (object.kind !== 'ResourceQuota') {
      widened.push(object);
      continue;
    }
    const quota = object as V1ResourceQuota;
    const live = (await readOrUndefined(kube, quota)) as V1ResourceQuota | undefined;
    const hard = { ...(quota.spec?.hard ?? {}) };
    let shrinks = false;
    for (const [key, rendered] of Object.entries(hard)) {
      const current = live?.spec?.hard?.[key];
      if (current !== undefined && larger(key, current, rendered)) {
        hard[key] = current;
        shrinks = true;
      }
    }
    if (!shrinks) {
      widened.push(object);
      continue;
    }
    final.push(object);
    widened.push({ ...quota, spec: { ...quota.spec, hard } } as KubernetesObject);
  }
  return { objects: widened, final };
}
