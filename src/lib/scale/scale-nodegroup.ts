/**
 * `mlp scale up|down`: resize the EKS managed nodegroup to cluster.scaling.up|down. Down plans first (which nodes
 * go, which workloads lose pods), then cordons and drains those nodes through the Eviction API before EKS is asked to
 * shrink — eksctl and EKS alone would terminate the instances under running pods, PodDisruptionBudgets ignored.
 * Up asks EKS for the size, then waits for the nodes to be Ready and the project's services to be available.
 */
import { eksClient, resolveRegion, toMlpError } from '../aws.js';
import type { MlpConfig } from '../config/schema.js';
import type { CommandContext } from '../context.js';
import { MlpError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { networkFailure } from '../kube/unreachable.js';
import { withProjectLock } from '../lock/project-lock.js';
import { clusterForRun } from '../per-run.js';
import { namespaceOf } from '../render/render-context.js';
import { cordon, drain, uncordon } from './drain.js';
import { planView, type Direction, type PlanView, type ScaleResult } from './format.js';
import { describeNodegroup, listNodegroups, updateScaling, type Eks, type NodegroupState } from './nodegroup.js';
import { waitForNodesGone, waitForNodesReady, waitForServices } from './nodes.js';
import { parkServices, servicesToPark, unparkServices, type ParkedService } from './park-services.js';
import { affectedWorkloads, nodesToRemove, readNodes } from './plan.js';
import { secondsSince } from './wait.js';
import { runTasks, type TaskSpec } from '../tasks.js';

export interface ScaleOptions {
  direction: Direction;
  nodegroup?: string | undefined;
  dryRun: boolean;
  /** Wait for another deploy, rollback or scale of the project that holds its lock. */
  waitForLock: boolean;
  drainTimeoutMs: number;
  /** Bound on each wait for EKS and for the nodes (and, going up, for the services). */
  timeoutMs: number;
  pollMs?: number;
  /** Asked once the plan is printed, unless it is a dry run; false → nothing changes. */
  confirm: (plan: PlanView) => Promise<boolean>;
}

type Cluster = NonNullable<MlpConfig['cluster']>;

/** A cluster that does not answer → 'prerequisite'; everything else unchanged. */
function clusterError(error: unknown, kube: KubeClient | undefined): unknown {
  if (error instanceof MlpError || networkFailure(error) === undefined) return error;
  return new MlpError(
    'prerequisite',
    `Cannot reach the cluster (${kube?.source ?? 'cluster.context / cluster.name'}): ${(error as Error).message}`,
    {
      hint: 'check the kubeconfig context (cluster.context), or that the EKS endpoint is reachable from here (VPN, endpoint access), then run mlp scale again',
      cause: error,
    },
  );
}

async function nodegroupName(eks: Eks, cluster: Cluster, flag: string | undefined, signal: AbortSignal): Promise<string> {
  const name = flag ?? cluster.nodegroup;
  if (name) return name;
  const existing = await listNodegroups(eks, cluster.name, signal);
  throw new MlpError('config', 'cluster.nodegroup: mlp scale needs to know which nodegroup to resize.', {
    details: [`nodegroups in ${cluster.name}: ${existing.join(', ') || 'none'}`],
    hint: 'set cluster.nodegroup in mlp.yaml, or pass --nodegroup <name>',
  });
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A drain that stopped (a budget, Ctrl-C) also says which services it parked: they stay at 0 until scale up. */
function withParked(error: unknown, parked: readonly ParkedService[]): unknown {
  if (!(error instanceof MlpError) || parked.length === 0) return error;
  return new MlpError(error.kind, error.message, {
    details: [...error.details, `parked at 0 replicas: ${parked.map((p) => p.service).join(', ')} (mlp scale up gives them back)`],
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  });
}

/** Runs `mlp scale` as `options` say and returns what it did (or would do, with dryRun). */
export async function scaleNodegroup(context: CommandContext, options: ScaleOptions): Promise<ScaleResult> {
  const { config } = await context.loadConfig();
  const cluster = config.cluster;
  if (!cluster)
    throw new MlpError(
      'config',
      'cluster: mlp scale needs the EKS cluster (cluster.name) and its nodegroup (cluster.nodegroup) in mlp.yaml.',
      {
        hint: 'add cluster: { name: <eks cluster>, nodegroup: <managed nodegroup> }',
      },
    );
  const region = config.aws.region;
  const env = context.io.env;
  const log = (line: string): void => context.output.info(line);
  const aws = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toMlpError(error, { service: 'eks', operation: `EKS ${operation}`, region: resolveRegion({ region, env }), env });
    }
  };
  const eks = await eksClient({ region, env });
  try {
    const name = await aws('ListNodegroups', () => nodegroupName(eks, cluster, options.nodegroup, context.signal));
    const state = await aws('DescribeNodegroup', () => describeNodegroup(eks, { cluster: cluster.name, nodegroup: name }, context.signal));
    const to = cluster.scaling[options.direction];
    const k = await clusterForRun(context).catch((error: unknown) => Promise.reject(clusterError(error, undefined)));
    const { nodes, leftAlone } = await readNodes(k, name).catch((error: unknown) => Promise.reject(clusterError(error, k)));
    const going = options.direction === 'down' ? nodesToRemove(nodes, to.desired) : [];
    const workloads = await affectedWorkloads(
      k,
      going.flatMap((node) => node.pods),
      config.name,
    ).catch((error: unknown) => Promise.reject(clusterError(error, k)));
    const left = going.reduce((sum, node) => sum + (leftAlone.get(node.name) ?? 0), 0);
    const toPark = servicesToPark(workloads, namespaceOf(config), to.desired);
    const plan = planView(
      options.direction,
      { cluster: cluster.name, nodegroup: name, from: state.size, to },
      nodes,
      going,
      workloads,
      left,
      toPark.map((w) => w.service!),
    );
    const base: ScaleResult = { ...plan, dryRun: options.dryRun, cancelled: false, timings: {} };
    if (options.dryRun) return base;
    if (!(await options.confirm(plan))) return { ...base, cancelled: true };

    const waits = { timeoutMs: options.timeoutMs, pollMs: options.pollMs ?? 2000, signal: context.signal, log };
    return await withProjectLock(context, 'scale', { wait: options.waitForLock, signal: context.signal }, async () => {
      const started = Date.now();
      const result: ScaleResult = { ...base, timings: {} };
      const step = async <T>(key: string, run: () => Promise<T>): Promise<T> => {
        const at = Date.now();
        const value = await run().catch((error: unknown) => Promise.reject(clusterError(error, k)));
        result.timings[key] = secondsSince(at);
        return value;
      };
      const update = (s: NodegroupState) => aws('UpdateNodegroupConfig', () => updateScaling(eks, s, to, waits));
      const task = (title: string, key: string, run: () => Promise<void>, skip: string | false = false): TaskSpec => ({
        title,
        skip,
        run: () => step(key, run),
      });
      const names = plan.going;
      const tasks: TaskSpec[] =
        options.direction === 'down'
          ? [
              task(
                `park ${toPark.map((w) => w.service).join(', ')} at 0 replicas`,
                'park',
                async () => {
                  result.parked = await parkServices(k, toPark, log);
                },
                toPark.length === 0 ? 'no service of the project runs only on these nodes' : false,
              ),
              task(
                `cordon and drain ${plural(names.length, 'node')}`,
                'drain',
                async () => {
                  await cordon(k, names);
                  log(`cordoned ${names.join(', ')}`);
                  result.evictions = await drain(k, names, { timeoutMs: options.drainTimeoutMs, signal: context.signal, log }).catch(
                    (error: unknown) => Promise.reject(withParked(error, result.parked ?? [])),
                  );
                },
                names.length === 0 ? 'no node goes' : false,
              ),
              task(`EKS: nodegroup ${name} to desired ${to.desired}`, 'update', async () => {
                result.updateId = await update(state);
              }),
              task(`wait for the nodes to leave`, 'nodesGone', async () => {
                result.nodesAfter = await waitForNodesGone(k, name, to.desired, waits);
                // Auto Scaling chose other instances than the drained ones: those stay and take pods again.
                const stayed = names.filter((node) => result.nodesAfter!.includes(node));
                if (stayed.length > 0) {
                  context.output.warn(`EC2 Auto Scaling terminated other nodes than the drained ${stayed.join(', ')}; uncordoning them`);
                  await uncordon(k, stayed);
                }
              }),
            ]
          : [
              task(`EKS: nodegroup ${name} to desired ${to.desired}`, 'update', async () => {
                result.updateId = await update(state);
              }),
              task(`wait for ${plural(to.desired, 'node')} to be Ready`, 'nodesReady', async () => {
                result.nodesAfter = await waitForNodesReady(k, name, to.desired, waits);
                // Nodes an unfinished `mlp scale down` left cordoned take pods again.
                const { nodes: now } = await readNodes(k, name);
                const cordoned = now.filter((node) => node.cordonedByMlp).map((node) => node.name);
                if (cordoned.length > 0) {
                  await uncordon(k, cordoned);
                  log(`uncordoned ${cordoned.join(', ')} (left cordoned by an unfinished mlp scale down)`);
                }
              }),
              // The services a scale down to zero parked get their replicas back now that there are nodes for them.
              task('give parked services their replicas back', 'restore', async () => {
                result.restored = await unparkServices(k, namespaceOf(config), config.name, log);
              }),
              task('wait for the services to be available', 'services', async () => {
                const services = config.services.map((service) => service.name);
                result.services = await waitForServices(k, namespaceOf(config), services, waits);
              }),
            ];
      await runTasks(context.output, tasks, context.signal);
      result.timings.total = secondsSince(started);
      return result;
    });
  } catch (error) {
    if (context.signal.aborted && !(error instanceof MlpError))
      throw new MlpError(
        'interrupted',
        'Interrupted. A nodegroup update already sent carries on in EKS; nodes mlp cordoned stay cordoned until mlp scale runs again.',
        {
          cause: error,
        },
      );
    throw error;
  } finally {
    eks.destroy();
  }
}
