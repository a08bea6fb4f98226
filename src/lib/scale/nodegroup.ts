/**
 * The EKS side of `mlp scale`: read a managed nodegroup's scaling config, change it with UpdateNodegroupConfig and
 * wait for the update EKS starts. The client is handed in (`Pick<EKSClient, 'send'>`), so the unit tests drive the
 * answers EKS gives that moto does not (an update still InProgress, Failed, ResourceInUseException).
 */
import type { EKSClient, Update } from '@aws-sdk/client-eks';
import { MlpError } from '../errors.js';
import { sleep } from './wait.js';

export interface NodegroupSize {
  min: number;
  max: number;
  desired: number;
}

export interface NodegroupRef {
  cluster: string;
  nodegroup: string;
}

export interface NodegroupState extends NodegroupRef {
  status: string;
  size: NodegroupSize;
}

/** How long and how often to wait for EKS; the tests shorten them. */
export interface EksWaits {
  timeoutMs: number;
  pollMs: number;
  signal?: AbortSignal | undefined;
  log: (line: string) => void;
}

export type Eks = Pick<EKSClient, 'send'>;

const errorName = (error: unknown): string | undefined => (error as { name?: string } | undefined)?.name;

/** DescribeNodegroup; a nodegroup that does not exist → 'nodegroupNotFound' naming those that do. */
export async function describeNodegroup(eks: Eks, ref: NodegroupRef, signal?: AbortSignal): Promise<NodegroupState> {
  const { DescribeNodegroupCommand } = await import('@aws-sdk/client-eks');
  try {
    const out = await eks.send(
      new DescribeNodegroupCommand({ clusterName: ref.cluster, nodegroupName: ref.nodegroup }),
      signal ? { abortSignal: signal } : {},
    );
    const scaling = out.nodegroup?.scalingConfig ?? {};
    return {
      ...ref,
      status: out.nodegroup?.status ?? 'UNKNOWN',
      size: { min: scaling.minSize ?? 0, max: scaling.maxSize ?? 0, desired: scaling.desiredSize ?? 0 },
    };
  } catch (error) {
    if (errorName(error) !== 'ResourceNotFoundException') throw error;
    const existing = await listNodegroups(eks, ref.cluster, signal);
    throw new MlpError('nodegroupNotFound', `Cluster ${ref.cluster} has no nodegroup ${ref.nodegroup}.`, {
      details: [`nodegroups in ${ref.cluster}: ${existing.join(', ') || 'none'}`],
      hint:
        existing.length > 0
          ? `set cluster.nodegroup (or --nodegroup) to one of: ${existing.join(', ')}`
          : 'create a managed nodegroup first (eksctl create nodegroup, or your IaC)',
      cause: error,
    });
  }
}

/** ListNodegroups, every page; a cluster that does not exist → a config error on cluster.name. */
export async function listNodegroups(eks: Eks, cluster: string, signal?: AbortSignal): Promise<string[]> {
  const { ListNodegroupsCommand } = await import('@aws-sdk/client-eks');
  const names: string[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const out = await eks.send(new ListNodegroupsCommand({ clusterName: cluster, nextToken }), signal ? { abortSignal: signal } : {});
      names.push(...(out.nodegroups ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException')
      throw new MlpError('config', `cluster.name: there is no EKS cluster ${cluster}.`, {
        hint: 'check cluster.name and aws.region (aws eks list-clusters)',
        cause: error,
      });
    throw error;
  }
  return names.sort();
}

function sameSize(a: NodegroupSize, b: NodegroupSize): boolean {
  return a.min === b.min && a.max === b.max && a.desired === b.desired;
}

/**
 * Sets the nodegroup's scaling config and waits until EKS reports the update Successful. Nothing is sent when it is
 * at that size already. An update already in progress (ResourceInUseException) is waited for within the same
 * bound, then this one is sent again; still busy → 'nodegroupBusy'. Failed or Cancelled → 'nodegroupUpdateFailed'.
 * Resolves with the update's id, or undefined when nothing needed changing.
 */
export async function updateScaling(eks: Eks, state: NodegroupState, size: NodegroupSize, waits: EksWaits): Promise<string | undefined> {
  if (sameSize(state.size, size)) {
    waits.log(`nodegroup ${state.nodegroup}: already at min ${size.min}, desired ${size.desired}, max ${size.max}; no update sent`);
    return undefined;
  }
  const { UpdateNodegroupConfigCommand } = await import('@aws-sdk/client-eks');
  const deadline = Date.now() + waits.timeoutMs;
  const send = () =>
    eks.send(
      new UpdateNodegroupConfigCommand({
        clusterName: state.cluster,
        nodegroupName: state.nodegroup,
        scalingConfig: { minSize: size.min, maxSize: size.max, desiredSize: size.desired },
      }),
      waits.signal ? { abortSignal: waits.signal } : {},
    );
  let update: Update | undefined;
  for (;;) {
    try {
      update = (await send()).update;
      break;
    } catch (error) {
      if (errorName(error) !== 'ResourceInUseException') throw error;
      const busyWith = (await waitWhileBusy(eks, state, deadline, waits)) ?? (Date.now() > deadline ? 'ResourceInUseException' : undefined);
      if (busyWith === undefined) await sleep(waits.pollMs, waits.signal);
      else
        throw new MlpError(
          'nodegroupBusy',
          `Nodegroup ${state.nodegroup} is still being updated (${busyWith}) after ${waits.timeoutMs / 1000} s.`,
          {
            hint: `wait for it (aws eks list-updates --name ${state.cluster} --nodegroup-name ${state.nodegroup}), then run mlp scale again`,
            cause: error,
          },
        );
    }
  }
  if (!update?.id) throw new MlpError('aws', `EKS UpdateNodegroupConfig for ${state.nodegroup} returned no update id.`);
  waits.log(`nodegroup ${state.nodegroup}: update ${update.id} ${update.status ?? 'sent'}`);
  await waitForUpdate(eks, state, update, deadline, waits);
  return update.id;
}

/** Polls DescribeUpdate until the update is no longer InProgress; Failed/Cancelled → 'nodegroupUpdateFailed'. */
export async function waitForUpdate(eks: Eks, ref: NodegroupRef, first: Update, deadline: number, waits: EksWaits): Promise<void> {
  const { DescribeUpdateCommand } = await import('@aws-sdk/client-eks');
  let update = first;
  while (update.status === 'InProgress') {
    if (Date.now() > deadline)
      throw new MlpError(
        'nodegroupBusy',
        `Update ${update.id} of nodegroup ${ref.nodegroup} is still InProgress after ${waits.timeoutMs / 1000} s.`,
        {
          hint: `aws eks describe-update --name ${ref.cluster} --nodegroup-name ${ref.nodegroup} --update-id ${update.id}; run mlp scale again once it is done`,
        },
      );
    await sleep(waits.pollMs, waits.signal);
    const out = await eks.send(
      new DescribeUpdateCommand({ name: ref.cluster, nodegroupName: ref.nodegroup, updateId: update.id }),
      waits.signal ? { abortSignal: waits.signal } : {},
    );
    update = out.update ?? update;
  }
  if (update.status === 'Failed' || update.status === 'Cancelled') {
    throw new MlpError('nodegroupUpdateFailed', `EKS reports update ${update.id} of nodegroup ${ref.nodegroup} as ${update.status}.`, {
      details: (update.errors ?? []).map(
        (e) => `${e.errorCode ?? 'error'}: ${e.errorMessage ?? ''}${e.resourceIds?.length ? ` (${e.resourceIds.join(', ')})` : ''}`,
      ),
      hint: `aws eks describe-update --name ${ref.cluster} --nodegroup-name ${ref.nodegroup} --update-id ${update.id}`,
    });
  }
}

/**
 * Waits until the nodegroup is no longer busy: the in-progress updates ListUpdates names, else its status leaving
 * UPDATING. Resolves undefined once it is free, or with what it is still busy with at the deadline.
 */
async function waitWhileBusy(eks: Eks, ref: NodegroupRef, deadline: number, waits: EksWaits): Promise<string | undefined> {
  const { DescribeUpdateCommand, ListUpdatesCommand } = await import('@aws-sdk/client-eks');
  const options = waits.signal ? { abortSignal: waits.signal } : {};
  let said = false;
  for (;;) {
    const ids = await eks
      .send(new ListUpdatesCommand({ name: ref.cluster, nodegroupName: ref.nodegroup }), options)
      .then((out) => out.updateIds ?? [])
      .catch(() => [] as string[]);
    const inProgress: string[] = [];
    for (const id of ids.slice(-5)) {
      const out = await eks.send(new DescribeUpdateCommand({ name: ref.cluster, nodegroupName: ref.nodegroup, updateId: id }), options);
      if (out.update?.status === 'InProgress') inProgress.push(`update ${id}`);
    }
    if (inProgress.length === 0) {
      const { status } = await describeNodegroup(eks, ref, waits.signal);
      if (status !== 'UPDATING' && status !== 'CREATING') return undefined;
      inProgress.push(`status ${status}`);
    }
    if (!said) waits.log(`nodegroup ${ref.nodegroup}: busy (${inProgress.join(', ')}); waiting for it to finish`);
    said = true;
    if (Date.now() > deadline) return inProgress.join(', ');
    await sleep(waits.pollMs, waits.signal);
  }
}
