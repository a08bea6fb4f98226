/**
 * A scale down to zero is the nightly shutdown, not a disruption: the project's own services that run only on the
 * nodes that go have nowhere to move, and their PodDisruptionBudgets (maxUnavailable 1, rendered by mlp) would refuse
 * the last evictions forever. So mlp parks them first: their Deployments go to 0 replicas, the count kept in an
 * annotation, and `mlp scale up` puts it back. Other workloads keep their budgets, enforced by the API server.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import type { AffectedWorkload } from './plan.js';

/** Where a parked Deployment keeps the replicas it had. */
export const PARKED_REPLICAS_ANNOTATION = 'mlp.dev/replicas-before-scale-down';
/** Its own field manager: the next `mlp deploy` (server-side apply, forced) takes spec.replicas back as it renders it. */
const FIELD_MANAGER = 'mlp-scale';

export interface ParkedService {
  service: string;
  namespace: string;
  deployment: string;
  replicas: number;
}

/** The project's services that lose every pod when the nodegroup goes to zero. */
export function servicesToPark(workloads: readonly AffectedWorkload[], namespace: string, desired: number): AffectedWorkload[] {
  if (desired > 0) return [];
  return workloads.filter(
    (w) => w.kind === 'Deployment' && w.service !== undefined && w.namespace === namespace && w.losing >= (w.replicas ?? 0),
  );
}

type Apps = Pick<KubeClient, 'apps' | 'mergePatch'>;

function patch(kube: Apps, namespace: string, name: string, body: object): Promise<V1Deployment> {
  return kube.apps.patchNamespacedDeployment({ name, namespace, body, fieldManager: FIELD_MANAGER }, kube.mergePatch);
}

/** Scales each to 0, keeping its replicas in the annotation (a re-run keeps the first count it recorded). */
export async function parkServices(
  kube: Apps,
  workloads: readonly AffectedWorkload[],
  log: (line: string) => void,
): Promise<ParkedService[]> {
  const parked: ParkedService[] = [];
  for (const w of workloads) {
    const deployment = await kube.apps.readNamespacedDeployment({ name: w.name, namespace: w.namespace });
    const recorded = Number(deployment.metadata?.annotations?.[PARKED_REPLICAS_ANNOTATION]);
    const replicas = Number.isInteger(recorded) && recorded > 0 ? recorded : (deployment.spec?.replicas ?? 1);
    await patch(kube, w.namespace, w.name, {
      metadata: { annotations: { [PARKED_REPLICAS_ANNOTATION]: String(replicas) } },
      spec: { replicas: 0 },
    });
    log(`${w.service}: scaled to 0 replicas for the scale down (was ${replicas}; mlp scale up restores it)`);
    parked.push({ service: w.service!, namespace: w.namespace, deployment: w.name, replicas });
  }
  return parked;
}

/** Puts back the replicas of every Deployment of the project that a scale down parked. */
export async function unparkServices(
  kube: Apps,
  namespace: string,
  project: string,
  log: (line: string) => void,
): Promise<ParkedService[]> {
  const { items } = await kube.apps.listNamespacedDeployment({ namespace, labelSelector: `mlp.dev/project=${project}` });
  const restored: ParkedService[] = [];
  for (const deployment of items) {
    const replicas = Number(deployment.metadata?.annotations?.[PARKED_REPLICAS_ANNOTATION]);
    if (!Number.isInteger(replicas) || replicas < 1) continue;
    const name = deployment.metadata!.name!;
    // A deploy since the scale down set replicas itself: leave its value, drop the note.
    const current = deployment.spec?.replicas ?? 0;
    await patch(kube, namespace, name, {
      metadata: { annotations: { [PARKED_REPLICAS_ANNOTATION]: null } },
      ...(current === 0 ? { spec: { replicas } } : {}),
    });
    const service = deployment.metadata?.labels?.['mlp.dev/service'] ?? name;
    log(`${service}: back to ${current === 0 ? replicas : current} replicas`);
    restored.push({ service, namespace, deployment: name, replicas: current === 0 ? replicas : current });
  }
  return restored;
}
