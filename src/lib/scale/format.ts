/** The text `mlp scale` prints: the plan before it changes anything, and what it did with how long each part took. */
import type { NodegroupSize } from './nodegroup.js';
import type { ServiceAvailability } from './nodes.js';
import type { ParkedService } from './park-services.js';
import type { AffectedWorkload, PlanNode } from './plan.js';

export type Direction = 'up' | 'down';

/** The plan as --json shows it (pods counted, not listed). */
export interface PlanView {
  direction: Direction;
  cluster: string;
  nodegroup: string;
  from: NodegroupSize;
  to: NodegroupSize;
  nodes: Array<{ name: string; ready: boolean; cordoned: boolean; pods: number }>;
  /** The nodes drained before the nodegroup shrinks (down only). */
  going: string[];
  workloads: AffectedWorkload[];
  /** DaemonSet and mirror pods on the nodes that go: they go with their node. */
  leftAlone: number;
  /** The project's services scaled to 0 before the drain (down to zero; see park-services.ts). */
  parking: string[];
}

export interface ScaleResult extends PlanView {
  dryRun: boolean;
  cancelled: boolean;
  updateId?: string | undefined;
  evictions?: { evicted: number; refused: number };
  /** The nodegroup's nodes at the end. */
  nodesAfter?: string[];
  services?: ServiceAvailability[];
  parked?: ParkedService[];
  /** Up: the parked services given their replicas back. */
  restored?: ParkedService[];
  /** Seconds each part took: drain, update, nodesGone | nodesReady, services, total. */
  timings: Record<string, number>;
}

export function planView(
  direction: Direction,
  base: { cluster: string; nodegroup: string; from: NodegroupSize; to: NodegroupSize },
  nodes: readonly PlanNode[],
  going: readonly PlanNode[],
  workloads: AffectedWorkload[],
  leftAlone: number,
  parking: string[] = [],
): PlanView {
  return {
    direction,
    ...base,
    parking,
    nodes: nodes.map((node) => ({ name: node.name, ready: node.ready, cordoned: node.unschedulable, pods: node.pods.length })),
    going: going.map((node) => node.name),
    workloads,
    leftAlone,
  };
}

const arrow = (from: number, to: number): string => (from === to ? `${to}` : `${from} → ${to}`);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function workloadLine(w: AffectedWorkload, parking: readonly string[]): string {
  const what = w.kind === 'Deployment' ? `Deployment ${w.namespace}/${w.name}` : `${w.kind} ${w.namespace}/${w.name}`;
  const service = w.service ? ` (mlp service ${w.service})` : '';
  const of = w.replicas !== undefined ? ` of ${w.replicas}` : '';
  const budgets = w.budgets.length > 0 ? `; PodDisruptionBudget ${w.budgets.join(', ')}` : '';
  if (w.service !== undefined && parking.includes(w.service))
    return `    ${what}${service}: scaled to 0 first (it runs only on these nodes); mlp scale up gives its ${w.replicas ?? w.losing} back`;
  return `    ${what}${service}: loses ${w.losing}${of} pod${w.losing === 1 ? '' : 's'}${budgets}`;
}

export function formatPlan(plan: PlanView): string {
  const { from, to } = plan;
  const lines = [
    `mlp scale ${plan.direction}: nodegroup ${plan.nodegroup} of cluster ${plan.cluster}`,
    `  min ${arrow(from.min, to.min)}, desired ${arrow(from.desired, to.desired)}, max ${arrow(from.max, to.max)}`,
    `  nodes now (${plan.nodes.length}): ${
      plan.nodes
        .map((n) => `${n.name} (${plural(n.pods, 'pod')}${n.ready ? '' : ', NotReady'}${n.cordoned ? ', cordoned' : ''})`)
        .join(', ') || 'none'
    }`,
  ];
  if (plan.direction === 'down') {
    lines.push(
      `  nodes that go (${plan.going.length}): ${plan.going.join(', ') || 'none'} — cordoned, then drained through the Eviction API`,
    );
    lines.push(
      plan.workloads.length > 0 ? '  workloads that lose pods:' : '  workloads that lose pods: none',
      ...plan.workloads.map((w) => workloadLine(w, plan.parking)),
    );
    if (plan.leftAlone > 0) lines.push(`  ${plural(plan.leftAlone, 'DaemonSet or mirror pod')} not evicted (they go with their node)`);
  }
  return lines.join('\n');
}

const took = (timings: Record<string, number>, key: string, label: string): string[] =>
  timings[key] === undefined ? [] : [`${label} ${timings[key]} s`];

export function formatResult(result: ScaleResult): string {
  if (result.dryRun) return `${formatPlan(result)}\ndry run: nothing was changed`;
  if (result.cancelled) return 'cancelled: nothing was changed';
  const t = result.timings;
  const size = `min ${result.to.min}, desired ${result.to.desired}, max ${result.to.max}`;
  const lines = [
    `nodegroup ${result.nodegroup}: scaled ${result.direction} to ${size} (${plural(result.nodesAfter?.length ?? 0, 'node')})`,
  ];
  if (result.evictions)
    lines.push(`  evictions: ${result.evictions.evicted} accepted, ${result.evictions.refused} refused by a PodDisruptionBudget`);
  for (const p of result.parked ?? []) lines.push(`  ${p.service}: parked at 0 replicas (had ${p.replicas})`);
  for (const p of result.restored ?? []) lines.push(`  ${p.service}: ${p.replicas} replicas again`);
  for (const s of result.services ?? []) lines.push(`  ${s.service}: ${s.state}`);
  const parts = [
    ...took(t, 'park', 'parking services'),
    ...took(t, 'drain', 'drain'),
    ...took(t, 'update', 'nodegroup update'),
    ...took(t, 'nodesGone', 'nodes gone'),
    ...took(t, 'nodesReady', 'nodes Ready'),
    ...took(t, 'services', 'services available'),
  ];
  lines.push(`  took ${t.total ?? 0} s: ${parts.join(', ')}`);
  return lines.join('\n');
}
