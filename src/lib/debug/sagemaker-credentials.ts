/**
 * Check 2 of `mlp debug sagemaker`: how the service's pods get AWS credentials. Either IRSA (the role annotation
 * on the service's ServiceAccount, from services[].serviceAccount.roleArn) or the Secret cluster.awsCredentialsSecret
 * names, which must hold AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Only the Secret's key names are looked at
 * (KubeClient.secretKeys); its values are never read into this module, printed or logged.
 */
import type { KubeClient } from '../kube/client.js';
import type { CheckRecord } from './check.js';

export const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';
const REQUIRED_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

export interface CredentialFacts {
  namespace: string;
  /** The service's ServiceAccount (it is named after the service); undefined when it does not exist. */
  serviceAccount: { name: string; roleArn: string | undefined } | undefined;
  /** services[].serviceAccount.roleArn */
  configuredRoleArn: string | undefined;
  /** cluster.awsCredentialsSecret and the keys it has (undefined keys: no such Secret). */
  secret: { name: string; keys: readonly string[] | undefined } | undefined;
}

/** The ServiceAccount's role annotation and the Secret's key names, from the cluster. */
export async function credentialFacts(
  kube: KubeClient,
  namespace: string,
  service: string,
  configuredRoleArn: string | undefined,
  secretName: string | undefined,
): Promise<CredentialFacts> {
  const account = await kube.core.readNamespacedServiceAccount({ name: service, namespace }).catch((error: unknown) => {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  });
  return {
    namespace,
    serviceAccount: account && { name: service, roleArn: account.metadata?.annotations?.[IRSA_ANNOTATION] },
    configuredRoleArn,
    secret: secretName === undefined ? undefined : { name: secretName, keys: await kube.secretKeys(namespace, secretName) },
  };
}

export function credentialsRecord(service: string, facts: CredentialFacts): CheckRecord {
  const base = { check: 'sagemaker.pod-credentials', subject: service };
  const { namespace, serviceAccount, configuredRoleArn, secret } = facts;
  const createSecret = (name: string) =>
    `kubectl -n ${namespace} create secret generic ${name} --from-literal=AWS_ACCESS_KEY_ID=… --from-literal=AWS_SECRET_ACCESS_KEY=…`;
  const annotated = serviceAccount?.roleArn;

  if (annotated !== undefined) {
    if (configuredRoleArn !== undefined && configuredRoleArn !== annotated) {
      return {
        ...base,
        status: 'fail',
        saw: `ServiceAccount ${service} assumes ${annotated}, but services[].serviceAccount.roleArn is ${configuredRoleArn}`,
        fix: 'run mlp deploy to apply the ServiceAccount mlp.yaml describes',
      };
    }
    return { ...base, status: 'pass', saw: `pods assume IAM role ${annotated} through IRSA (ServiceAccount ${service})` };
  }

  if (secret !== undefined) {
    if (secret.keys === undefined) {
      return {
        ...base,
        status: 'fail',
        saw: `pods have no credentials: Secret ${secret.name} (cluster.awsCredentialsSecret) does not exist in namespace ${namespace}`,
        fix: `${createSecret(secret.name)}, then restart the pods (kubectl -n ${namespace} rollout restart deployment/${service})`,
      };
    }
    const missing = REQUIRED_KEYS.filter((key) => !secret.keys!.includes(key));
    if (missing.length > 0) {
      return {
        ...base,
        status: 'fail',
        saw: `pods have no credentials: Secret ${secret.name} has no ${missing.join(' or ')} (it has: ${secret.keys.join(', ') || 'no keys'})`,
        fix: `recreate it with both keys: kubectl -n ${namespace} delete secret ${secret.name}; ${createSecret(secret.name)}`,
      };
    }
    return {
      ...base,
      status: 'pass',
      saw: `pods get AWS keys from Secret ${secret.name} (${REQUIRED_KEYS.join(' and ')} present; values not read)`,
    };
  }

  if (configuredRoleArn !== undefined) {
    return {
      ...base,
      status: 'fail',
      saw: `pods have no credentials: ServiceAccount ${service} ${serviceAccount ? `has no ${IRSA_ANNOTATION} annotation` : 'does not exist'}, though services[].serviceAccount.roleArn is ${configuredRoleArn}`,
      fix: 'run mlp deploy to apply the ServiceAccount with its role annotation',
    };
  }
  return {
    ...base,
    status: 'fail',
    saw: `pods have no credentials: ServiceAccount ${service} has no IRSA role and mlp.yaml sets no cluster.awsCredentialsSecret`,
    fix:
      'set services[].serviceAccount.roleArn to a role allowed sagemaker:InvokeEndpoint (IRSA), or create a Secret ' +
      `(${createSecret('aws-credentials')}) and set cluster.awsCredentialsSecret: aws-credentials; then run mlp deploy`,
  };
}
