/**
 * `mlp debug quota`: the runbook's `kubectl describe resourcequota`, with the sum a person does in their head. For
 * each ResourceQuota of the project's namespace and each resource it caps: what is used, what the next deploy needs
 * (from the rendered manifests: each Deployment's replicas — autoscaling.max when an HPA owns the count — plus the
 * rolling update's surge, times its containers' requests and limits, and the training Job) and whether that fits once
 * the project's current pods, which the new ones replace, are taken out. mlp's own quota is counted as the deploy
 * applies it: never lower than the live one until the rollouts are done (deploy/quota-transition.ts).
 */
import type { V1Pod, V1PodSpec, V1ResourceQuota } from '@kubernetes/client-node';
import type { MlpConfig } from '../config/schema.js';
import { selectServices } from '../config/select-services.js';
import { clusterForRun } from '../per-run.js';
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from '../render/quantities.js';
import { namespaceOf } from '../render/render-context.js';
import type { RenderedObject } from '../render/renderer.js';
import { unreachable } from '../status/cluster-status.js';
import type { CheckRecord, DebugTopic } from './check.js';

/** Amounts by quota resource (requests.cpu, limits.memory, pods, requests.nvidia.com/gpu): millicores, bytes or counts. */
export type Amounts = Map<string, number>;

/** What one rendered workload adds when the next deploy runs. */
export interface WorkloadNeed {
  /** "fraud" or "training Job fraud-train-1a2b". */
  label: string;
  /** The service it is, for the mlp.yaml fields to name; undefined for the training Job. */
  service: string | undefined;
  pods: number;
  /** "2 replicas + 1 surge". */
  count: string;
  /** Replicas come from autoscaling.max (an HPA owns the count). */
  autoscaled: boolean;
  perPod: Amounts;
}

type Defaults = { requests: Record<string, string>; limits: Record<string, string> };

const quotaTopic: DebugTopic = async (context, request) => {
  const project = await context.loadConfig();
  const { config } = project;
  const services = selectServices(config, request.services).map((service) => service.name);
  if (config.deploy.target === 'local') {
    return [{ check: 'quota.target', status: 'skip', saw: 'deploy.target is local: containers on this machine have no ResourceQuota' }];
  }
  const { renderManifests } = await import('../render/renderer.js');
  const rendered = await renderManifests(project, { services });
  const needs = workloadNeeds(rendered);
  const kube = await clusterForRun(context);
  const namespace = namespaceOf(config);
  try {
    const [quotas, pods] = await Promise.all([
      kube.core.listNamespacedResourceQuota({ namespace }).then((list) => list.items),
      kube.core.listNamespacedPod({ namespace }).then((list) => list.items),
    ]);
    const defaults = limitRangeDefaults(rendered);
    const counted = pods.filter(countsAgainstQuota);
    const replaced = counted.filter(
      (pod) =>
        pod.metadata?.labels?.['mlp.dev/project'] === config.name &&
        services.includes(pod.metadata?.labels?.['mlp.dev/service'] ?? '') &&
        pod.metadata?.ownerReferences?.some((owner) => owner.kind === 'ReplicaSet'),
    );
    return quotaChecks(config, namespace, {
      live: quotas,
      rendered: rendered.filter((object) => object.kind === 'ResourceQuota') as unknown as V1ResourceQuota[],
      needs,
      current: sum(replaced.map((pod) => podAmounts(pod.spec, defaults))),
      namespaceUse: sum(counted.map((pod) => podAmounts(pod.spec, defaults))),
    });
  } catch (error) {
    throw unreachable(error, kube.source);
  }
};
export default quotaTopic;

export interface QuotaInputs {
  live: V1ResourceQuota[];
  rendered: V1ResourceQuota[];
  needs: WorkloadNeed[];
  /** What the pods the deploy replaces (the project's Deployments' pods) use now. */
  current: Amounts;
  /** What every pod of the namespace uses: the usage of a quota the deploy is about to create. */
  namespaceUse: Amounts;
}

/** One record per quota and resource (pure: the topic reads the cluster, this does the sums). */
export function quotaChecks(config: MlpConfig, namespace: string, inputs: QuotaInputs): CheckRecord[] {
  const names = new Set([...inputs.live, ...inputs.rendered].map((quota) => quota.metadata!.name!));
  if (names.size === 0) {
    return [
      { check: 'quota.present', status: 'pass', saw: `namespace ${namespace} has no ResourceQuota: nothing caps what the deploy adds` },
    ];
  }
  const need = sum(inputs.needs.map((workload) => scale(workload.perPod, workload.pods)));
  const records: CheckRecord[] = [];
  for (const name of [...names].sort()) {
    const live = inputs.live.find((quota) => quota.metadata?.name === name);
    const rendered = inputs.rendered.find((quota) => quota.metadata?.name === name);
    const hard: Record<string, string> = { ...(live?.spec?.hard ?? {}) };
    const notes: string[] = [];
    for (const [key, value] of Object.entries(rendered?.spec?.hard ?? {})) {
      // The deploy applies its quota as the larger of live and rendered until the rollouts are done.
      if (hard[key] === undefined || safe(key, value) > safe(key, hard[key])) hard[key] = value;
      if (live?.spec?.hard?.[key] !== undefined && live.spec.hard[key] !== value)
        notes.push(`mlp deploy sets ${key} to ${value} (now ${live.spec.hard[key]})`);
    }
    if (!live) notes.push('mlp deploy creates this quota');
    for (const [key, hardText] of Object.entries(hard)) {
      const subject = `${name}/${key}`;
      const resource = pooled(key);
      const usedText = live?.status?.used?.[key];
      let used: number, cap: number;
      try {
        cap = amount(key, hardText);
        used = usedText !== undefined ? amount(key, usedText) : (inputs.namespaceUse.get(resource ?? '') ?? 0);
      } catch {
        records.push({
          check: 'quota.resource',
          subject,
          status: 'skip',
          saw: `${usedText ?? '?'} of ${hardText} used (not a quantity mlp reads)`,
        });
        continue;
      }
      if (resource === undefined) {
        const saw = `${show(key, used)} of ${show(key, cap)} used (not a pod resource: mlp does not add up what the deploy adds to it)`;
        records.push({ check: 'quota.resource', subject, status: 'skip', saw });
        continue;
      }
      const needed = need.get(resource) ?? 0;
      const current = inputs.current.get(resource) ?? 0;
      const after = Math.max(0, used - current) + needed;
      const fits = after <= cap;
      const tail = fits ? `${show(key, cap - after)} to spare` : `${show(key, after - cap)} over`;
      records.push({
        check: 'quota.resource',
        subject,
        status: fits ? 'pass' : 'fail',
        saw: `${show(key, used)} of ${show(key, cap)} used; the next deploy needs ${show(key, needed)}, replacing the project's pods' ${show(key, current)} → ${show(key, after)} (${tail})`,
        details: [
          ...inputs.needs
            .filter((workload) => (workload.perPod.get(resource) ?? 0) > 0 || resource === 'pods')
            .map(
              (workload) =>
                `${workload.label}: ${workload.pods} pods (${workload.count})${resource === 'pods' ? '' : ` × ${show(key, workload.perPod.get(resource) ?? 0)}`}`,
            ),
          ...(used - current > 0 ? [`other pods in ${namespace} use ${show(key, used - current)}`] : []),
          ...notes.filter((note) => note.includes(key) || note.startsWith('mlp deploy creates')),
        ],
        fix: fits
          ? undefined
          : quotaFix(config, namespace, { quota: name, key, resource, total: after, own: rendered !== undefined, needs: inputs.needs }),
      });
    }
  }
  return records;
}

/** The mlp.yaml value to change (of the workload that adds the most), or the quota to raise. */
function quotaFix(
  config: MlpConfig,
  namespace: string,
  what: { quota: string; key: string; resource: string; total: number; own: boolean; needs: WorkloadNeed[] },
): string {
  const { resource, key } = what;
  const biggest = [...what.needs].sort(
    (a, b) =>
      b.pods * (resource === 'pods' ? 1 : (b.perPod.get(resource) ?? 0)) -
      a.pods * (resource === 'pods' ? 1 : (a.perPod.get(resource) ?? 0)),
  )[0];
  const index = config.services.findIndex((service) => service.name === biggest?.service);
  const service = config.services[index];
  const fields: string[] = [];
  if (biggest && !service) fields.push(`training.remote.resources.${resource}`);
  if (service) {
    const [kind, name] = resource.split(/\.(.*)/) as [string, string];
    if (resource !== 'pods') {
      const value = (service.resources as Record<string, Record<string, string>>)[kind]?.[name];
      fields.push(`services[${index}].resources.${resource}${value ? ` (${value})` : ''}`);
    }
    fields.push(
      biggest!.autoscaled
        ? `services[${index}].autoscaling.max (${service.autoscaling?.max})`
        : `services[${index}].replicas (${service.replicas})`,
    );
  }
  const total = show(key, what.total);
  const raise = what.own
    ? `or free what other pods in ${namespace} use of it (kubectl -n ${namespace} get pods)`
    : `or raise ${key} of ResourceQuota ${what.quota} to ${total}: kubectl -n ${namespace} patch resourcequota ${what.quota} --type merge -p '{"spec":{"hard":{"${key}":"${total}"}}}'`;
  return `lower ${fields.join(' or ')} in mlp.yaml, ${raise}`;
}

/** Each rendered Deployment at its largest (replicas, or its HPA's maxReplicas) plus its surge; the training Job. */
export function workloadNeeds(objects: readonly RenderedObject[]): WorkloadNeed[] {
  const defaults = limitRangeDefaults(objects);
  const needs: WorkloadNeed[] = [];
  for (const object of objects) {
    const spec = object.spec as
      | {
          replicas?: number;
          parallelism?: number;
          strategy?: { rollingUpdate?: { maxSurge?: string | number } };
          template?: { spec?: V1PodSpec };
        }
      | undefined;
    const service = object.metadata.labels?.['mlp.dev/service'];
    if (object.kind === 'Deployment') {
      const hpa = objects.find(
        (other) =>
          other.kind === 'HorizontalPodAutoscaler' &&
          (other.spec as { scaleTargetRef?: { name?: string } }).scaleTargetRef?.name === object.metadata.name,
      );
      const size = spec?.replicas ?? (hpa?.spec as { maxReplicas?: number } | undefined)?.maxReplicas ?? 1;
      const surge = surgeOf(spec?.strategy?.rollingUpdate?.maxSurge, size);
      needs.push({
        label: object.metadata.name,
        service,
        pods: size + surge,
        count: `${size} replica${size === 1 ? '' : 's'}${spec?.replicas === undefined && hpa ? ' (autoscaling.max)' : ''} + ${surge} surge`,
        autoscaled: spec?.replicas === undefined && hpa !== undefined,
        perPod: podAmounts(spec?.template?.spec, defaults),
      });
    } else if (object.kind === 'Job') {
      const pods = spec?.parallelism ?? 1;
      needs.push({
        label: `training Job ${object.metadata.name}`,
        service: undefined,
        pods,
        count: `${pods} run`,
        autoscaled: false,
        perPod: podAmounts(spec?.template?.spec, defaults),
      });
    }
  }
  return needs;
}

/** The Deployment's maxSurge at `size` replicas: a percentage rounds up, as the Deployment controller does. */
export function surgeOf(maxSurge: string | number | undefined, size: number): number {
  const value = maxSurge ?? '25%';
  if (typeof value === 'number') return value;
  return value.endsWith('%') ? Math.ceil((size * Number(value.slice(0, -1))) / 100) : Number(value);
}

/** One pod's requests and limits, summed over its containers, with the LimitRange's defaults where a container sets none. */
export function podAmounts(spec: V1PodSpec | undefined, defaults: Defaults): Amounts {
  const amounts: Amounts = new Map([['pods', 1]]);
  const add = (key: string, quantity: string | undefined) => {
    if (quantity !== undefined) amounts.set(key, (amounts.get(key) ?? 0) + safe(key, quantity));
  };
  for (const container of spec?.containers ?? []) {
    const requests = (container.resources?.requests ?? {}) as Record<string, string>;
    const limits = (container.resources?.limits ?? {}) as Record<string, string>;
    for (const name of new Set([...Object.keys(requests), ...Object.keys(limits), 'cpu', 'memory'])) {
      // The API server defaults a request to its limit; the LimitRange fills in what is still missing.
      add(`requests.${name}`, requests[name] ?? limits[name] ?? defaults.requests[name]);
      add(`limits.${name}`, limits[name] ?? defaults.limits[name]);
    }
  }
  return amounts;
}

function limitRangeDefaults(objects: readonly RenderedObject[]): Defaults {
  const range = objects.find((object) => object.kind === 'LimitRange')?.spec as
    { limits?: Array<{ type?: string; default?: Record<string, string>; defaultRequest?: Record<string, string> }> } | undefined;
  const container = range?.limits?.find((limit) => limit.type === 'Container');
  return { requests: container?.defaultRequest ?? {}, limits: container?.default ?? {} };
}

/** A pod the quota counts: every pod that has not ended. */
function countsAgainstQuota(pod: V1Pod): boolean {
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

/** The pod resource a quota key caps (cpu is requests.cpu), or undefined when it is not one (count/…, services). */
function pooled(key: string): string | undefined {
  if (key === 'cpu' || key === 'memory') return `requests.${key}`;
  if (key === 'pods' || key.startsWith('requests.') || key.startsWith('limits.')) return key === 'requests.storage' ? undefined : key;
  return undefined;
}

function amount(key: string, quantity: string): number {
  return /(^|\.)cpu$/.test(key) ? cpuMillis(quantity) : memoryBytes(quantity);
}

function safe(key: string, quantity: string): number {
  try {
    return amount(key, quantity);
  } catch {
    return 0;
  }
}

function show(key: string, value: number): string {
  if (value === 0) return '0';
  if (/(^|\.)cpu$/.test(key)) return formatCpu(value);
  if (/(^|\.)memory$/.test(key)) return formatMemory(value);
  return String(value);
}

function scale(amounts: Amounts, factor: number): Amounts {
  return new Map([...amounts].map(([key, value]) => [key, value * factor]));
}

function sum(all: readonly Amounts[]): Amounts {
  const total: Amounts = new Map();
  for (const amounts of all) for (const [key, value] of amounts) total.set(key, (total.get(key) ?? 0) + value);
  return total;
}
