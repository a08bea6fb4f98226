/**
 * `mlp diff`: what a deploy would change on the cluster, object by object. Each rendered object is sent as a
 * server-side apply with dryRun All, so the comparison is against what the API server would actually store
 * (defaults, admission, other field managers' fields) rather than against the template; fields the server owns
 * (status, resourceVersion, managedFields, …) are left out of both sides.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { createTwoFilesPatch } from 'diff';
// Static, not import(): the build bundles yaml (CommonJS), and a bundled CommonJS module reached through import()
// arrives with only a default export. This module is itself loaded lazily, by `mlp diff`.
import { stringify } from 'yaml';
import { MlpError } from '../errors.js';
import { FIELD_MANAGER } from './apply.js';
import type { KubeClient } from './client.js';
import { comparable } from './comparable.js';

export interface ObjectDiff {
  kind: string;
  name: string;
  namespace?: string;
  change: 'create' | 'update' | 'none';
  /** A unified diff of the object as YAML (empty when unchanged). */
  patch: string;
}

export async function diffObjects(kube: KubeClient, objects: readonly KubernetesObject[]): Promise<ObjectDiff[]> {
  const diffs: ObjectDiff[] = [];
  for (const object of objects) {
    const header = {
      apiVersion: object.apiVersion!,
      kind: object.kind!,
      metadata: { name: object.metadata!.name!, ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}) },
    };
    const live = await kube.objects.read(header).catch((error: { code?: number }) => {
      if (error.code === 404) return undefined;
      throw new MlpError('apply', `Reading ${object.kind}/${object.metadata?.name} failed: ${String((error as Error).message ?? error)}`);
    });
    let desired: KubernetesObject;
    try {
      desired = await kube.serverSideApply(kube.toModel(object), { fieldManager: FIELD_MANAGER, dryRun: true });
    } catch (error) {
      // A namespaced object's namespace that does not exist yet: the dry run cannot say more than "create".
      if ((error as { code?: number }).code === 404 && !live) desired = object;
      else
        throw new MlpError(
          'apply',
          `The API server rejected ${object.kind}/${object.metadata?.name}: ${String((error as { body?: unknown }).body ?? error)}`,
        );
    }
    const before = live ? stringify(comparable(kube.toWire(live)), { sortMapEntries: true }) : '';
    const after = stringify(comparable(desired === object ? object : kube.toWire(desired)), { sortMapEntries: true });
    const name = `${object.kind}/${object.metadata!.name}${object.metadata?.namespace ? ` (${object.metadata.namespace})` : ''}`;
    const change: ObjectDiff['change'] = !live ? 'create' : before === after ? 'none' : 'update';
    diffs.push({
      kind: object.kind!,
      name: object.metadata!.name!,
      ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
      change,
      patch:
        change === 'none'
          ? ''
          : createTwoFilesPatch(`live ${name}`, `rendered ${name}`, before, after, undefined, undefined, { context: 3 }),
    });
  }
  return diffs;
}
