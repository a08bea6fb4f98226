/**
 * What `mlp scale down` will do, worked out before anything changes: the nodes that go, the pods on them that are
 * evicted, and the workloads (Deployments above all) that lose pods, with the PodDisruptionBudgets that guard them.
 * The pure part (which nodes, which pods) is separate from the reads so the unit tests can check it alone.
 */
import type { V1LabelSelector, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import type { NodegroupSize } from './nodegroup.js';

/** The label EKS puts on every node of a managed nodegroup. */
export const NODEGROUP_LABEL = 'eks.amazonaws.com/nodegroup';
/** Set on the nodes mlp cordons, so a re-run continues with them and `mlp scale up` uncordons them. */
export const CORDONED_BY_ANNOTATION = 'mlp.dev/cordoned-by';

export interface PlanNode {
  name: string;
  ready: boolean;
  unschedulable: boolean;
  /** Cordoned by an earlier `mlp scale down` that did not finish. */
  cordonedByMlp: boolean;
  /** Pods a drain evicts (not DaemonSet pods, mirror pods or pods that have finished). */
  pods: V1Pod[];
}

export interface AffectedWorkload {
  kind: string;
  namespace: string;
  name: string;
  /** The mlp service it is, when it belongs to this project. */
  service?: string;
  losing: number;
  /** spec.replicas of a Deployment. */
  replicas?: number;
  /** The PodDisruptionBudgets that select its pods, e.g. "blocker (minAvailable 2)". */
  budgets: string[];
}

export interface ScalePlan {
  cluster: string;
  nodegroup: string;
  from: NodegroupSize;
  to: NodegroupSize;
  nodes: PlanNode[];
  going: PlanNode[];
  workloads: AffectedWorkload[];
  /** DaemonSet and mirror pods on the nodes that go: not evicted, they go with their node. */
  leftAlone: number;
}

const isMirror = (pod: V1Pod): boolean => pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined;
const ownerKind = (pod: V1Pod): string | undefined => pod.metadata?.ownerReferences?.find((o) => o.controller)?.kind;

/** Whether a drain evicts this pod: kubectl drain's rules (DaemonSet and mirror pods stay, finished ones need nothing). */
export function isEvictable(pod: V1Pod): boolean {
  if (isMirror(pod) || ownerKind(pod) === 'DaemonSet') return false;
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

/**
 * The nodes that go when the nodegroup shrinks to `desired`: those mlp already cordoned first (a re-run continues
 * with them), then the ones with the fewest pods to move, then by name so the choice is stable.
 */
export function nodesToRemove(nodes: readonly PlanNode[], desired: number): PlanNode[] {
  const count = Math.max(0, nodes.length - desired);
  return [...nodes]
    .sort((a, b) => Number(b.cordonedByMlp) - Number(a.cordonedByMlp) || a.pods.length - b.pods.length || a.name.localeCompare(b.name))
    .slice(0, count);
}

/** Whether `selector` selects `labels` (matchLabels and matchExpressions, as the API server reads them). */
export function selects(selector: V1LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const ok =
      e.operator === 'In'
        ? has && (e.values ?? []).includes(value!)
        : e.operator === 'NotIn'
          ? !has || !(e.values ?? []).includes(value!)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

export function describeBudget(pdb: V1PodDisruptionBudget): string {
  const spec = pdb.spec ?? {};
  const rule =
    spec.minAvailable !== undefined
      ? `minAvailable ${spec.minAvailable}`
      : spec.maxUnavailable !== undefined
        ? `maxUnavailable ${spec.maxUnavailable}`
        : 'no limit';
  return `${pdb.metadata?.name} (${rule})`;
}

function planNode(node: V1Node, pods: V1Pod[]): PlanNode {
  return {
    name: node.metadata!.name!,
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    unschedulable: node.spec?.unschedulable === true,
    cordonedByMlp: node.metadata?.annotations?.[CORDONED_BY_ANNOTATION] !== undefined,
    pods: pods.filter(isEvictable),
  };
}

/** The nodegroup's nodes as the API server lists them (by the EKS nodegroup label), with the pods a drain moves. */
export async function readNodes(
  kube: Pick<KubeClient, 'core'>,
  nodegroup: string,
): Promise<{ nodes: PlanNode[]; leftAlone: Map<string, number> }> {
  const listed = await kube.core.listNode({ labelSelector: `${NODEGROUP_LABEL}=${nodegroup}` });
  const nodes: PlanNode[] = [];
  const leftAlone = new Map<string, number>();
  for (const node of listed.items) {
    if (node.metadata?.deletionTimestamp) continue;
    const name = node.metadata!.name!;
    const pods = (await kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` })).items;
    const planned = planNode(node, pods);
    leftAlone.set(name, pods.filter((pod) => isMirror(pod) || ownerKind(pod) === 'DaemonSet').length);
    nodes.push(planned);
  }
  return { nodes: nodes.sort((a, b) => a.name.localeCompare(b.name)), leftAlone };
}

/** The workloads the evictions of `pods` take pods from: Deployments through their ReplicaSets, else the owner. */
export async function affectedWorkloads(
  kube: Pick<KubeClient, 'apps' | 'policy'>,
  pods: readonly V1Pod[],
  project: string,
): Promise<AffectedWorkload[]> {
  const byKey = new Map<string, AffectedWorkload>();
  const replicaSetOwner = new Map<string, { kind: string; name: string }>();
  const budgets = new Map<string, V1PodDisruptionBudget[]>();
  for (const pod of pods) {
    const namespace = pod.metadata!.namespace!;
    const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
    let kind = owner?.kind ?? 'Pod';
    let name = owner?.name ?? pod.metadata!.name!;
    if (kind === 'ReplicaSet') {
      const key = `${namespace}/${name}`;
      if (!replicaSetOwner.has(key)) {
        const rs = await kube.apps.readNamespacedReplicaSet({ name, namespace }).catch(() => undefined);
        const top = rs?.metadata?.ownerReferences?.find((o) => o.controller);
        replicaSetOwner.set(key, top ? { kind: top.kind, name: top.name } : { kind, name });
      }
      ({ kind, name } = replicaSetOwner.get(key)!);
    }
    if (!budgets.has(namespace)) budgets.set(namespace, (await kube.policy.listNamespacedPodDisruptionBudget({ namespace })).items);
    const key = `${kind}/${namespace}/${name}`;
    let workload = byKey.get(key);
    if (!workload) {
      workload = { kind, namespace, name, losing: 0, budgets: [] };
      byKey.set(key, workload);
    }
    workload.losing += 1;
    for (const pdb of budgets.get(namespace)!) {
      const described = describeBudget(pdb);
      if (selects(pdb.spec?.selector, pod.metadata?.labels) && !workload.budgets.includes(described)) workload.budgets.push(described);
    }
  }
  for (const workload of byKey.values()) {
    if (workload.kind !== 'Deployment') continue;
    const deployment = await kube.apps
      .readNamespacedDeployment({ name: workload.name, namespace: workload.namespace })
      .catch(() => undefined);
    workload.replicas = deployment?.spec?.replicas ?? undefined;
    const labels = deployment?.metadata?.labels ?? {};
    if (labels['mlp.dev/project'] === project && labels['mlp.dev/service']) workload.service = labels['mlp.dev/service'];
  }
  return [...byKey.values()].sort(
    (a, b) =>
      Number(b.service !== undefined) - Number(a.service !== undefined) ||
      `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  );
}
