/**
 * Which platform to build for. An image built on an arm64 laptop dies on amd64 nodes with "exec format error",
 * so the default is the architecture of the nodes the image will run on: the EKS nodegroup's (from its AMI type,
 * else its instance types) for the eks target, the local engine's for the local target.
 */
import type { MlpConfig } from '../config/schema.js';
import type { KubeClient } from '../kube/client.js';
import { MlpError } from '../errors.js';
import { eksClient, resolveRegion, toMlpError } from '../aws.js';

export interface PlatformChoice {
  platform: string;
  /** Where it came from, for messages: "--platform", "nodegroup ml-workers (AL2_ARM_64)", … */
  source: string;
}

export interface Nodegroup {
  name: string;
  amiType?: string | undefined;
  instanceTypes?: readonly string[] | undefined;
}

/** Graviton families have a "g" after the generation digit: m6g, c7gn, r8g, t4g, im4gn, x2gd. */
const GRAVITON_INSTANCE = /^[a-z]+\d+g[a-z]*\./;

/** The platform a nodegroup's nodes run, or undefined when its AMI type and instance types don't tell. */
export function nodegroupPlatform(nodegroup: Nodegroup): string | undefined {
  const ami = nodegroup.amiType ?? '';
  if (/ARM/i.test(ami)) return 'linux/arm64';
  if (/x86_64/i.test(ami)) return 'linux/amd64';
  const types = nodegroup.instanceTypes ?? [];
  if (types.length === 0) return undefined;
  const arm = types.filter((type) => GRAVITON_INSTANCE.test(type));
  if (arm.length === types.length) return 'linux/arm64';
  if (arm.length === 0) return 'linux/amd64';
  return undefined;
}

/**
 * The platform of the cluster's nodes: with cluster.context (a kubeconfig cluster) the nodes' kubernetes.io/arch
 * labels; on EKS the configured nodegroup's, or all nodegroups' when they agree. `kube`: how to reach the cluster
 * for the node list (a run passes the client it already has; default: open one).
 */
export async function clusterPlatform(
  config: Pick<MlpConfig, 'cluster' | 'aws' | 'deploy'>,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
  kube: () => Promise<KubeClient> = async () => (await import('../kube/client.js')).openKubeClient(config, env, signal),
): Promise<PlatformChoice> {
  const cluster = config.cluster;
  if (!cluster)
    throw new MlpError('config', 'The eks target needs a cluster section in mlp.yaml.', {
      hint: 'add cluster.name (and cluster.nodegroup)',
    });
  if (cluster.context) return nodesPlatform(await kube());
  const region = config.aws.region;
  const { DescribeNodegroupCommand, ListNodegroupsCommand } = await import('@aws-sdk/client-eks');
  const client = await eksClient({ region, env });
  const options = signal ? { abortSignal: signal } : {};
  try {
    const names = cluster.nodegroup
      ? [cluster.nodegroup]
      : ((await client.send(new ListNodegroupsCommand({ clusterName: cluster.name }), options)).nodegroups ?? []);
    const nodegroups: Nodegroup[] = [];
    for (const name of names) {
      const described = await client.send(new DescribeNodegroupCommand({ clusterName: cluster.name, nodegroupName: name }), options);
      nodegroups.push({ name, amiType: described.nodegroup?.amiType, instanceTypes: described.nodegroup?.instanceTypes });
    }
    const platforms = new Map(nodegroups.map((ng) => [ng.name, nodegroupPlatform(ng)]));
    const known = new Set([...platforms.values()].filter((p): p is string => p !== undefined));
    if (known.size === 1 && ![...platforms.values()].includes(undefined)) {
      const platform = [...known][0]!;
      const described = nodegroups.map((ng) => `${ng.name} (${ng.amiType ?? ng.instanceTypes?.join(',') ?? '?'})`).join(', ');
      return { platform, source: `nodegroup ${described}` };
    }
    const listed = nodegroups.map((ng) => `${ng.name}: ${platforms.get(ng.name) ?? `unknown (${ng.amiType ?? 'no AMI type'})`}`).join('; ');
    throw new MlpError(
      'config',
      `Cannot tell which platform to build for from cluster ${cluster.name}'s nodegroups (${listed || 'none found'}).`,
      {
        hint: 'set build.platform (linux/amd64 or linux/arm64) in mlp.yaml, or cluster.nodegroup to the nodegroup that runs the services',
      },
    );
  } catch (error) {
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

async function nodesPlatform(kube: KubeClient): Promise<PlatformChoice> {
  const { source } = kube;
  const { items } = await kube.core.listNode();
  const linux = items.filter((node) => (node.metadata?.labels?.['kubernetes.io/os'] ?? 'linux') === 'linux');
  const arches = [...new Set(linux.map((node) => node.metadata?.labels?.['kubernetes.io/arch'] ?? node.status?.nodeInfo?.architecture))];
  if (arches.length === 1 && arches[0] && /^(amd64|arm64)$/.test(arches[0]))
    return { platform: `linux/${arches[0]}`, source: `the nodes of ${source}` };
  throw new MlpError(
    'config',
    `Cannot tell which platform to build for: the nodes of ${source} run ${arches.join(', ') || 'nothing (no linux nodes)'}.`,
    {
      hint: 'set build.platform (linux/amd64 or linux/arm64) in mlp.yaml',
    },
  );
}

/** Refuses an image whose platform is not the nodes': it would crash-loop with "exec format error". */
export function requireMatchingPlatform(service: string, imagePlatform: string, nodes: PlatformChoice): void {
  if (imagePlatform === nodes.platform) return;
  throw new MlpError(
    'build',
    `The image of ${service} is ${imagePlatform}, but the nodes run ${nodes.platform} (${nodes.source}); it would fail with "exec format error".`,
    {
      hint: `rebuild it with: mlp build --service ${service} --platform ${nodes.platform}`,
    },
  );
}
