/**
 * What `mlp scale` waits for in the cluster once EKS has taken the new size: the nodes that go leaving the API
 * server, the new ones registering and turning Ready, and then the project's Deployments becoming available.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { MlpError } from '../errors.js';
import { NODEGROUP_LABEL } from './plan.js';
import { sleep } from './wait.js';

export interface ClusterWaits {
  timeoutMs: number;
  pollMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

const isReady = (node: { status?: { conditions?: Array<{ type: string; status: string }> } }): boolean =>
  node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function nodegroupNodes(kube: Pick<KubeClient, 'core'>, nodegroup: string) {
  return (await kube.core.listNode({ labelSelector: `${NODEGROUP_LABEL}=${nodegroup}` })).items;
}

/** Until at most `desired` nodes of the nodegroup are registered; resolves with those that are. */
export async function waitForNodesGone(
  kube: Pick<KubeClient, 'core'>,
  nodegroup: string,
  desired: number,
  waits: ClusterWaits,
): Promise<string[]> {
  const deadline = Date.now() + waits.timeoutMs;
  let last = -1;
  for (;;) {
    const names = (await nodegroupNodes(kube, nodegroup)).map((node) => node.metadata!.name!);
    // EC2 Auto Scaling, not mlp, picks the instances it terminates: other nodes than the drained ones may go, so the
    // end is the count; the caller uncordons a drained node that stayed.
    if (names.length <= desired) return names;
    if (names.length !== last) waits.log(`nodegroup ${nodegroup}: ${names.length} node(s) registered, waiting for ${desired}`);
    last = names.length;
    if (Date.now() > deadline)
      throw new MlpError(
        'nodegroupUpdateFailed',
        `EKS took the new size of nodegroup ${nodegroup}, but after ${waits.timeoutMs / 1000} s ${names.length} node(s) are still registered (want ${desired}): ${names.join(', ')}.`,
        { hint: 'check the Auto Scaling group activity (aws autoscaling describe-scaling-activities) and run mlp scale down again' },
      );
    await sleep(waits.pollMs, waits.signal);
  }
}

/** Until at least `desired` nodes of the nodegroup are registered and Ready. */
export async function waitForNodesReady(
  kube: Pick<KubeClient, 'core'>,
  nodegroup: string,
  desired: number,
  waits: ClusterWaits,
): Promise<string[]> {
  const deadline = Date.now() + waits.timeoutMs;
  let last = -1;
  for (;;) {
    const nodes = await nodegroupNodes(kube, nodegroup);
    const ready = nodes.filter((node) => isReady(node) && !node.metadata?.deletionTimestamp).map((node) => node.metadata!.name!);
    if (ready.length >= desired) return ready.sort();
    if (ready.length !== last)
      waits.log(`nodegroup ${nodegroup}: ${ready.length} of ${desired} node(s) Ready (${nodes.length} registered)`);
    last = ready.length;
    if (Date.now() > deadline)
      throw new MlpError(
        'nodegroupUpdateFailed',
        `EKS took the new size of nodegroup ${nodegroup}, but after ${waits.timeoutMs / 1000} s only ${ready.length} of ${desired} node(s) are Ready.`,
        { hint: 'check the nodegroup health (aws eks describe-nodegroup … --query nodegroup.health) and the Auto Scaling group activity' },
      );
    await sleep(waits.pollMs, waits.signal);
  }
}

function available(deployment: V1Deployment): boolean {
  const want = deployment.spec?.replicas ?? 1;
  return (
    (deployment.status?.availableReplicas ?? 0) >= want &&
    (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0)
  );
}

export interface ServiceAvailability {
  service: string;
  available: boolean;
  /** "3/3 available", "not deployed". */
  state: string;
}

/** Until each service's Deployment (in `namespace`) has all its replicas available; one that is not deployed is skipped. */
export async function waitForServices(
  kube: Pick<KubeClient, 'apps'>,
  namespace: string,
  services: readonly string[],
  waits: ClusterWaits,
): Promise<ServiceAvailability[]> {
  const deadline = Date.now() + waits.timeoutMs;
  const results = new Map<string, ServiceAvailability>();
  for (;;) {
    const waiting: string[] = [];
    for (const service of services) {
      if (results.get(service)?.available || results.get(service)?.state === 'not deployed') continue;
      const deployment = await kube.apps.readNamespacedDeployment({ name: service, namespace }).catch((error: unknown) => {
        if ((error as { code?: number }).code === 404) return undefined;
        throw error;
      });
      if (!deployment) {
        results.set(service, { service, available: false, state: 'not deployed' });
        waits.log(`${service}: not deployed in ${namespace}; not waiting for it`);
        continue;
      }
      const state = `${deployment.status?.availableReplicas ?? 0}/${deployment.spec?.replicas ?? 1} available`;
      const ok = available(deployment);
      results.set(service, { service, available: ok, state });
      if (ok) waits.log(`${service}: ${state}`);
      else waiting.push(`${service} (${state})`);
    }
    if (waiting.length === 0) return services.map((service) => results.get(service)!);
    if (Date.now() > deadline)
      throw new MlpError(
        'rollout',
        `The nodes are back, but after ${waits.timeoutMs / 1000} s not every service is available: ${waiting.join(', ')}.`,
        {
          hint: 'mlp status (or kubectl get pods) shows why the pods are not Ready',
        },
      );
    await sleep(waits.pollMs, waits.signal);
  }
}
