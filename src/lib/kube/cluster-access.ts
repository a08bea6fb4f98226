/**
 * Which cluster mlp reaches, and with what credentials. For the eks target with no `cluster.context`, straight from
 * AWS: the endpoint and CA from EKS DescribeCluster and a token signed through STS (eks-token.ts) — no kubeconfig
 * file, aws CLI or kubectl needed, which is what a CI runner has. Otherwise the kubeconfig ($KUBECONFIG or
 * ~/.kube/config) at `cluster.context`, or its current context. client.ts turns the answer into clients.
 */
import { eksClient, resolveRegion, toMlpError, type AwsEnv } from '../aws.js';
import type { MlpConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import { eksToken } from './eks-token.js';

export interface EksEndpoint {
  name: string;
  endpoint: string;
  certificateAuthority: string;
  status: string;
}

/** How to reach the cluster: an EKS endpoint with a bearer token, or a kubeconfig file and context. */
export type ClusterAccess =
  | { kind: 'eks'; cluster: EksEndpoint; token: string; /** For messages. */ source: string }
  | {
      kind: 'kubeconfig';
      /** Undefined: client-node's default ($KUBECONFIG, ~/.kube/config, in-cluster). */ file: string | undefined;
      context: string | undefined;
    };

export async function describeEksCluster(name: string, region: string, signal?: AbortSignal, env?: AwsEnv): Promise<EksEndpoint> {
  const { DescribeClusterCommand } = await import('@aws-sdk/client-eks');
  const client = await eksClient({ region, env });
  try {
    const out = await client.send(new DescribeClusterCommand({ name }), signal ? { abortSignal: signal } : {});
    const cluster = out.cluster;
    if (!cluster?.endpoint || !cluster.certificateAuthority?.data) {
      throw new MlpError('prerequisite', `EKS cluster ${name} has no API endpoint yet (status ${cluster?.status ?? 'unknown'}).`, {
        hint: 'wait until `aws eks describe-cluster --name <name>` says ACTIVE',
      });
    }
    return {
      name,
      endpoint: cluster.endpoint,
      certificateAuthority: cluster.certificateAuthority.data,
      status: cluster.status ?? 'UNKNOWN',
    };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new MlpError('config', `cluster.name: there is no EKS cluster ${name} in ${region}.`, {
        hint: 'check cluster.name and aws.region (aws eks list-clusters)',
        cause: error,
      });
    }
    throw toMlpError(error, {
      service: 'eks',
      operation: 'EKS DescribeCluster',
      region: resolveRegion({ region, env }),
      action: 'eks:DescribeCluster',
      env,
    });
  } finally {
    client.destroy();
  }
}

/** The cluster mlp.yaml names, and how to reach it (see the file comment); `env` is the command's environment. */
export async function clusterAccess(
  config: Pick<MlpConfig, 'cluster' | 'deploy' | 'aws'>,
  env: AwsEnv,
  signal?: AbortSignal,
): Promise<ClusterAccess> {
  const cluster = config.cluster;
  if (config.deploy.target === 'eks' && cluster && !cluster.context) {
    const region = config.aws.region;
    const endpoint = await describeEksCluster(cluster.name, region, signal, env);
    const { token } = await eksToken({ cluster: endpoint.name, region, env });
    return { kind: 'eks', cluster: endpoint, token, source: `EKS cluster ${cluster.name} (DescribeCluster, STS token)` };
  }
  return { kind: 'kubeconfig', file: env.KUBECONFIG?.split(':')[0], context: cluster?.context };
}
