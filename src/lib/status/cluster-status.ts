/**
 * One service on the cluster, as `mlp status` shows it: its Deployment (image, model version, replicas, rollout,
 * revision), the current revision's pods (digest, the cause of a failing rollout), its HorizontalPodAutoscaler and
 * how it is reached (Ingress, the NLB Service, or the ClusterIP Service). Read-only: nothing is changed.
 */
import type { V1Deployment, V1Ingress, V1Pod, V1ReplicaSet, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { ServiceConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { networkFailure } from '../kube/unreachable.js';
import {
  currentReplicaSet,
  deploymentProblems,
  imageStatus,
  newestReplicaSet,
  replicaCounts,
  revisionOf,
  rolloutStatus,
  VERSION_LABEL,
} from './deployment-health.js';
import type { AutoscalerStatus, EndpointStatus, ServiceStatus } from './service-status.js';

/**
 * The answer, or undefined when the API server says there is no such object — or, for what the table can do without
 * (`optional`: the autoscaler, the endpoint), when mlp may not read it.
 */
async function orMissing<T>(read: Promise<T>, optional = false): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 404 || (optional && code === 403)) return undefined;
    throw error;
  }
}

/** `knownTag`: the tag mlp pushed under a digest (from .mlp/builds), for images deployed by digest. */
export async function clusterServiceStatus(
  kube: KubeClient,
  namespace: string,
  service: ServiceConfig,
  knownTag: (digest: string) => string | undefined,
  now = Date.now(),
): Promise<ServiceStatus> {
  const name = service.name;
  const [deployment, hpa, endpoint] = await Promise.all([
    orMissing(kube.apps.readNamespacedDeployment({ name, namespace })),
    orMissing(kube.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace }), true),
    endpointOf(kube, namespace, name),
  ]);
  const blank = { image: null, version: null, replicas: null, autoscaler: null, lastDeploy: null, container: null };
  if (!deployment) {
    return {
      service: name,
      target: 'eks',
      healthy: false,
      problems: [`no Deployment ${name} in namespace ${namespace} (not deployed)`],
      ...blank,
      rollout: { state: 'missing', reason: null, message: null, cause: null },
      endpoint,
    };
  }
  const sets = await ownedReplicaSets(kube, deployment);
  const current = currentReplicaSet(deployment, sets);
  const pods = await podsOf(kube, namespace, current);
  const replicas = replicaCounts(deployment);
  const rollout = rolloutStatus(deployment, pods, now);
  const problems = deploymentProblems(replicas, rollout);
  const created = newestReplicaSet(sets)?.metadata?.creationTimestamp;
  return {
    service: name,
    target: 'eks',
    healthy: problems.length === 0,
    problems,
    image: imageStatus(deployment, pods, knownTag),
    version: deployment.metadata?.labels?.[VERSION_LABEL] ?? null,
    replicas,
    rollout,
    autoscaler: hpa ? autoscalerStatus(hpa) : null,
    lastDeploy: { revision: revisionOf(deployment), at: created ? new Date(created).toISOString() : null },
    endpoint,
    container: null,
  };
}

async function ownedReplicaSets(kube: KubeClient, deployment: V1Deployment): Promise<V1ReplicaSet[]> {
  const selector = Object.entries(deployment.spec?.selector?.matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const list = await kube.apps.listNamespacedReplicaSet({ namespace: deployment.metadata!.namespace!, labelSelector: selector });
  return list.items.filter((set) => set.metadata?.ownerReferences?.some((owner) => owner.uid === deployment.metadata?.uid));
}

async function podsOf(kube: KubeClient, namespace: string, set: V1ReplicaSet | undefined): Promise<V1Pod[]> {
  const hash = set?.metadata?.labels?.['pod-template-hash'];
  if (!hash) return [];
  return (await kube.core.listNamespacedPod({ namespace, labelSelector: `pod-template-hash=${hash}` })).items;
}

function autoscalerStatus(hpa: V2HorizontalPodAutoscaler): AutoscalerStatus {
  const current = new Map(
    (hpa.status?.currentMetrics ?? []).flatMap((metric) =>
      metric.resource ? [[metric.resource.name, metric.resource.current.averageUtilization ?? null] as const] : [],
    ),
  );
  return {
    current: hpa.status?.currentReplicas ?? null,
    desired: hpa.status?.desiredReplicas ?? null,
    min: hpa.spec?.minReplicas ?? 1,
    max: hpa.spec?.maxReplicas ?? 0,
    metrics: (hpa.spec?.metrics ?? []).flatMap((metric) =>
      metric.resource?.target.averageUtilization === undefined
        ? []
        : [
            {
              resource: metric.resource.name,
              current: current.get(metric.resource.name) ?? null,
              target: metric.resource.target.averageUtilization,
            },
          ],
    ),
  };
}

/** How the service is reached: its Ingress, else its NLB Service (<name>-public), else its ClusterIP Service. */
async function endpointOf(kube: KubeClient, namespace: string, name: string): Promise<EndpointStatus | null> {
  const [ingress, nlb, clusterIp] = await Promise.all([
    orMissing<V1Ingress>(kube.networking.readNamespacedIngress({ name, namespace }), true),
    orMissing<V1Service>(kube.core.readNamespacedService({ name: `${name}-public`, namespace }), true),
    orMissing<V1Service>(kube.core.readNamespacedService({ name, namespace }), true),
  ]);
  if (ingress) {
    const balancer = ingress.status?.loadBalancer?.ingress?.[0];
    const address = balancer?.hostname ?? balancer?.ip ?? null;
    const host = ingress.spec?.rules?.find((rule) => rule.host)?.host ?? address;
    const tls = (ingress.spec?.tls?.length ?? 0) > 0;
    return { kind: 'ingress', url: host ? `${tls ? 'https' : 'http'}://${host}` : null, address };
  }
  if (nlb?.spec?.type === 'LoadBalancer') {
    const balancer = nlb.status?.loadBalancer?.ingress?.[0];
    const address = balancer?.hostname ?? balancer?.ip ?? null;
    const port = nlb.spec.ports?.[0]?.port ?? 80;
    return { kind: 'nlb', url: address ? `http://${address}${port === 80 ? '' : `:${port}`}` : null, address };
  }
  if (clusterIp) {
    const port = clusterIp.spec?.ports?.[0]?.port ?? 80;
    const ip = clusterIp.spec?.clusterIP;
    return {
      kind: 'cluster-ip',
      url: `http://${name}.${namespace}.svc${port === 80 ? '' : `:${port}`}`,
      address: ip && ip !== 'None' ? `${ip}:${port}` : null,
    };
  }
  return null;
}

/**
 * A failure to reach the API server at all, as a prerequisite error, and a refusal of mlp's credentials as a
 * credentials error; anything else is returned as it was.
 */
export function unreachable(error: unknown, source: string): unknown {
  if (error instanceof MlpError) return error;
  const status = (error as { code?: unknown }).code;
  if (status === 401 || status === 403) {
    return new MlpError('credentials', `The cluster refused to show the services (${source}: HTTP ${status}).`, {
      hint: 'mlp status needs get/list on deployments, replicasets and pods in the namespace (and nodes for the nodegroup)',
      cause: error,
    });
  }
  const found = networkFailure(error);
  if (found) {
    return new MlpError('prerequisite', `The cluster does not answer (${source}: ${found}).`, {
      hint: 'check cluster.context / KUBECONFIG (or cluster.name and AWS access) and that the API server is up: kubectl cluster-info',
      cause: error,
    });
  }
  return error;
}
