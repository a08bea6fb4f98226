/**
 * How mlp reaches the cluster. For the eks target with no `cluster.context`, straight from AWS: the endpoint and CA
 * from EKS DescribeCluster and a token signed through STS (eks-token.ts) — no kubeconfig file, aws CLI or kubectl
 * needed, which is what a CI runner has. Otherwise the kubeconfig ($KUBECONFIG or ~/.kube/config) at
 * `cluster.context`, or its current context.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { eksClient, resolveRegion, toMlpError } from '../aws.js';
import type { MlpConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import { eksToken, stsEndpointFor } from './eks-token.js';

export interface ClusterAccess {
  kubeConfig: KubeConfig;
  /** For messages: "EKS cluster ml-platform (DescribeCluster)", "kubeconfig context kind-dev". */
  source: string;
}

export interface EksEndpoint {
  name: string;
  endpoint: string;
  certificateAuthority: string;
  status: string;
}

export async function describeEksCluster(name: string, region: string, signal?: AbortSignal): Promise<EksEndpoint> {
  const { DescribeClusterCommand } = await import('@aws-sdk/client-eks');
  const client = await eksClient({ region });
  try {
    const out = await client.send(new DescribeClusterCommand({ name }), signal ? { abortSignal: signal } : {});
    const cluster = out.cluster;
    if (!cluster?.endpoint || !cluster.certificateAuthority?.data) {
      throw new MlpError('prerequisite', `EKS cluster ${name} has no API endpoint yet (status ${cluster?.status ?? 'unknown'}).`, {
        hint: 'wait until `aws eks describe-cluster --name <name>` says ACTIVE',
      });
    }
    return { name, endpoint: cluster.endpoint, certificateAuthority: cluster.certificateAuthority.data, status: cluster.status ?? 'UNKNOWN' };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new MlpError('config', `cluster.name: there is no EKS cluster ${name} in ${region}.`, { hint: 'check cluster.name and aws.region (aws eks list-clusters)', cause: error });
    }
    throw toMlpError(error, { service: 'eks', operation: 'EKS DescribeCluster', region: resolveRegion({ region }), action: 'eks:DescribeCluster' });
  }
  finally {
    client.destroy();
  }
}

/** A kubeconfig for an EKS cluster, in memory: endpoint, CA and a fresh STS-signed token. */
export async function eksKubeConfig(cluster: EksEndpoint, region: string, env: Record<string, string | undefined>): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { token } = await eksToken({ cluster: cluster.name, region, stsEndpoint: stsEndpointFor(region, env) });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: cluster.name, server: cluster.endpoint, caData: cluster.certificateAuthority, skipTLSVerify: false }],
    users: [{ name: `mlp@${cluster.name}`, token }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: `mlp@${cluster.name}` }],
    currentContext: cluster.name,
  });
  return kubeConfig;
}

export async function clusterAccess(config: Pick<MlpConfig, 'cluster' | 'deploy' | 'aws'>, env: Record<string, string | undefined>, signal?: AbortSignal): Promise<ClusterAccess> {
  const cluster = config.cluster;
  if (config.deploy.target === 'eks' && cluster && !cluster.context) {
    const endpoint = await describeEksCluster(cluster.name, config.aws.region, signal);
    return { kubeConfig: await eksKubeConfig(endpoint, config.aws.region, env), source: `EKS cluster ${cluster.name} (DescribeCluster, STS token)` };
  }
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  const file = env.KUBECONFIG?.split(':')[0];
  try {
    if (file) kubeConfig.loadFromFile(file);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new MlpError('config', `Could not read the kubeconfig ${file ?? '(~/.kube/config)'}: ${(error as Error).message}`, { hint: 'set KUBECONFIG, or cluster.name with the eks target' });
  }
  if (cluster?.context) {
    if (!kubeConfig.getContextObject(cluster.context)) {
      throw new MlpError('config', `cluster.context: the kubeconfig has no context ${cluster.context}.`, {
        hint: `contexts: ${kubeConfig.getContexts().map((c) => c.name).join(', ') || 'none'}`,
      });
    }
    kubeConfig.setCurrentContext(cluster.context);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new MlpError('config', 'No Kubernetes cluster is configured: the kubeconfig has no current context.', { hint: 'set KUBECONFIG or cluster.context' });
  }
  return { kubeConfig, source: `kubeconfig context ${kubeConfig.getCurrentContext()}` };
}
