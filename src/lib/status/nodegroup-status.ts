/**
 * cluster.nodegroup as `mlp status` shows it: EKS DescribeNodegroup (status and scaling) and the cluster's Nodes
 * labelled eks.amazonaws.com/nodegroup=<name> (how many are Ready): EKS says what was asked for, the nodes what
 * has joined.
 */
import type { V1Node } from '@kubernetes/client-node';
import { eksClient, resolveRegion, toMlpError, type AwsEnv } from '../aws.js';
import type { MlpConfig } from '../config/schema.js';
import type { KubeClient } from '../kube/client.js';
import { nodegroupHealthProblems, type NodegroupStatus } from './service-status.js';

export const NODEGROUP_LABEL = 'eks.amazonaws.com/nodegroup';

export async function nodegroupStatus(
  config: Pick<MlpConfig, 'aws'> & { cluster: NonNullable<MlpConfig['cluster']> & { nodegroup: string } },
  kube: KubeClient,
  env: AwsEnv,
  signal?: AbortSignal,
): Promise<NodegroupStatus> {
  const { name: cluster, nodegroup: name } = config.cluster;
  const [described, nodes] = await Promise.all([
    describeNodegroup(cluster, name, config.aws.region, env, signal),
    kube.core.listNode({ labelSelector: `${NODEGROUP_LABEL}=${name}` }).then((list) => list.items),
  ]);
  const ready = nodes.filter(isReady).length;
  if ('missing' in described) {
    return {
      name,
      cluster,
      status: 'NOT_FOUND',
      scaling: null,
      nodes: { ready, total: nodes.length },
      healthy: false,
      problems: [
        `EKS cluster ${cluster} has no nodegroup ${name} (nodegroups: ${described.others.join(', ') || 'none'}); check cluster.nodegroup`,
      ],
    };
  }
  const problems = [
    ...nodegroupHealthProblems(described.status),
    ...described.issues.map((issue) => `${issue.code ?? 'issue'}: ${issue.message ?? ''}`.trim()),
  ];
  return {
    name,
    cluster,
    status: described.status,
    scaling: described.scaling,
    nodes: { ready, total: nodes.length },
    healthy: problems.length === 0,
    problems,
  };
}

type Described =
  | { status: string; scaling: NodegroupStatus['scaling']; issues: Array<{ code?: string | undefined; message?: string | undefined }> }
  | { missing: true; others: string[] };

async function describeNodegroup(cluster: string, name: string, region: string, env: AwsEnv, signal?: AbortSignal): Promise<Described> {
  const { DescribeNodegroupCommand, ListNodegroupsCommand } = await import('@aws-sdk/client-eks');
  const client = await eksClient({ region, env });
  const options = signal ? { abortSignal: signal } : {};
  try {
    const out = await client.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name }), options);
    const nodegroup = out.nodegroup;
    const scaling = nodegroup?.scalingConfig;
    return {
      status: nodegroup?.status ?? 'UNKNOWN',
      scaling: scaling ? { min: scaling.minSize ?? 0, desired: scaling.desiredSize ?? 0, max: scaling.maxSize ?? 0 } : null,
      issues: nodegroup?.health?.issues ?? [],
    };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      const others = await client
        .send(new ListNodegroupsCommand({ clusterName: cluster }), options)
        .then((list) => list.nodegroups ?? [])
        .catch(() => []);
      return { missing: true, others };
    }
    throw toMlpError(error, {
      service: 'eks',
      operation: 'EKS DescribeNodegroup',
      region: resolveRegion({ region, env }),
      action: 'eks:DescribeNodegroup',
      env,
    });
  } finally {
    client.destroy();
  }
}

function isReady(node: V1Node): boolean {
  return node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
}
