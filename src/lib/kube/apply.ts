/**
 * Server-side apply of rendered objects, in the order given (the renderer's dependency order), with field manager
 * `mlp`; then pruning: the project's objects (by mlp's labels) that are no longer rendered are deleted. With
 * dryRun the API server validates and defaults everything and persists nothing.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { MlpError } from '../errors.js';
import { TRAINING_COMPONENT } from '../render/render-context.js';
import type { KubeClient } from './client.js';
import { sameComparable } from './comparable.js';

export const FIELD_MANAGER = 'mlp';
export const PROJECT_LABEL = 'mlp.dev/project';
const MANAGED_BY = 'app.kubernetes.io/managed-by=mlp';
/** A training run's ServiceAccount and Job are applied by the train stage and expire on their own: never pruned. */
const NOT_TRAINING = `app.kubernetes.io/component!=${TRAINING_COMPONENT}`;

/** What prune looks at: every kind mlp renders into a namespace. */
export const PRUNABLE_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  // Only where the Prometheus Operator's CRD is installed; elsewhere listing it is a 404 and it is passed over.
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' },
];

export interface AppliedObject {
  kind: string;
  name: string;
  namespace?: string;
  action: 'created' | 'configured' | 'unchanged' | 'pruned';
}

export interface ApplyOptions {
  project: string;
  namespace: string;
  dryRun: boolean;
  prune: boolean;
  log?: (line: string) => void;
}

const describe = (object: KubernetesObject): string =>
  `${object.kind}/${object.metadata?.name ?? '?'}${object.metadata?.namespace ? ` in ${object.metadata.namespace}` : ''}`;

interface ApiError {
  code?: number;
  body?: unknown;
  message?: string;
}

/** The API server's own words for a failed request: Status.message and its causes (field: reason). */
function apiFailure(error: unknown): { code: number | undefined; message: string; causes: string[] } {
  const e = error as ApiError;
  let body = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* not JSON: keep the text */
    }
  }
  const status = (typeof body === 'object' && body !== null ? body : {}) as {
    message?: string;
    details?: { causes?: Array<{ field?: string; message?: string }> };
  };
  const causes = (status.details?.causes ?? []).map((cause) => `${cause.field ?? ''}: ${cause.message ?? ''}`.replace(/^: /, ''));
  return { code: e.code, message: status.message ?? e.message ?? String(error), causes };
}

function applyError(object: KubernetesObject, error: unknown): MlpError {
  const { code, message, causes } = apiFailure(error);
  if (code === 401 || code === 403) {
    return new MlpError('credentials', `The cluster refused ${describe(object)}: ${message}`, {
      hint: 'the identity mlp uses needs RBAC permission to apply this kind in the namespace (for EKS: an access entry or aws-auth mapping)',
    });
  }
  return new MlpError('apply', `The API server rejected ${describe(object)}: ${message}`, {
    details: causes,
    hint: 'fix the template or the mlp.yaml field it comes from; nothing after this object was applied',
  });
}

/** The live object with `object`'s kind, name and namespace, or undefined when there is none. */
export async function readOrUndefined(kube: KubeClient, object: KubernetesObject): Promise<KubernetesObject | undefined> {
  try {
    return await kube.objects.read({
      apiVersion: object.apiVersion!,
      kind: object.kind!,
      metadata: { name: object.metadata!.name!, ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}) },
    });
  } catch (error) {
    if ((error as ApiError).code === 404) return undefined;
    throw error;
  }
}

export async function applyObjects(
  kube: KubeClient,
  objects: readonly KubernetesObject[],
  options: ApplyOptions,
): Promise<AppliedObject[]> {
  const results: AppliedObject[] = [];
  for (const object of objects) {
    const before = await readOrUndefined(kube, object).catch((error: unknown) => {
      throw applyError(object, error);
    });
    const after = await kube
      .serverSideApply(kube.toModel(object), { fieldManager: FIELD_MANAGER, dryRun: options.dryRun })
      .catch((error: unknown) => {
        throw applyError(object, error);
      });
    // A dry run persists nothing, so the resourceVersion never moves: compare what the server would store instead.
    const same = options.dryRun ? sameComparable(before, after) : before?.metadata?.resourceVersion === after.metadata?.resourceVersion;
    const action: AppliedObject['action'] = !before ? 'created' : same ? 'unchanged' : 'configured';
    results.push({
      kind: object.kind!,
      name: object.metadata!.name!,
      ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
      action,
    });
    options.log?.(`${describe(object)} ${action}${options.dryRun ? ' (server dry run)' : ''}`);
  }
  if (options.prune) results.push(...(await prune(kube, objects, options)));
  return results;
}

const identity = (object: KubernetesObject): string =>
  `${object.apiVersion}/${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;

/** Deletes the project's objects in the namespace that the rendered set no longer has. */
async function prune(kube: KubeClient, rendered: readonly KubernetesObject[], options: ApplyOptions): Promise<AppliedObject[]> {
  const client = kube.objects;
  const keep = new Set(rendered.map(identity));
  const pruned: AppliedObject[] = [];
  for (const { apiVersion, kind } of PRUNABLE_KINDS) {
    let items: KubernetesObject[];
    try {
      items = (
        await client.list(
          apiVersion,
          kind,
          options.namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          `${PROJECT_LABEL}=${options.project},${MANAGED_BY},${NOT_TRAINING}`,
        )
      ).items;
    } catch (error) {
      if ((error as ApiError).code === 404) continue; // the kind does not exist on this cluster
      throw new MlpError('apply', `Listing ${kind} objects to prune failed: ${apiFailure(error).message}`);
    }
    for (const item of items) {
      const object = { ...item, apiVersion, kind };
      if (keep.has(identity(object))) continue;
      try {
        await client.delete(object, undefined, options.dryRun ? 'All' : undefined, undefined, undefined, 'Background');
      } catch (error) {
        if ((error as ApiError).code !== 404)
          throw new MlpError('apply', `Pruning ${describe(object)} failed: ${apiFailure(error).message}`);
      }
      pruned.push({ kind, name: object.metadata!.name!, namespace: options.namespace, action: 'pruned' });
      options.log?.(`${describe(object)} pruned (no longer rendered)${options.dryRun ? ' (server dry run)' : ''}`);
    }
  }
  return pruned;
}
