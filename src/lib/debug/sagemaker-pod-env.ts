/**
 * Check 3 of `mlp debug sagemaker`: the AWS environment a running pod actually has — its container's env over the
 * ConfigMaps it takes through envFrom, as the kubelet resolved them — not what mlp would render now. A pod started
 * before aws.region changed (or before the ConfigMap did) keeps its old values until it is replaced.
 */
import type { V1Container } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import type { CheckRecord } from './check.js';

/** A variable's value, or where it comes from when that is not a plain value (a Secret key is never resolved). */
export type PodEnvValue = { value: string; source: string } | { from: string };

/** Kubernetes' precedence: a later envFrom source over an earlier one, and `env` over all of them. */
export function effectiveEnv(
  container: Pick<V1Container, 'env' | 'envFrom'>,
  configMaps: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>,
): Map<string, PodEnvValue> {
  const env = new Map<string, PodEnvValue>();
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (name === undefined) continue;
    for (const [key, value] of Object.entries(configMaps.get(name) ?? {})) {
      env.set(`${source.prefix ?? ''}${key}`, { value, source: `ConfigMap ${name}` });
    }
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) env.set(entry.name, { value: entry.value, source: 'the pod spec' });
    else if (entry.valueFrom?.secretKeyRef)
      env.set(entry.name, { from: `Secret ${entry.valueFrom.secretKeyRef.name} key ${entry.valueFrom.secretKeyRef.key}` });
    else if (entry.valueFrom?.configMapKeyRef)
      env.set(entry.name, { from: `ConfigMap ${entry.valueFrom.configMapKeyRef.name} key ${entry.valueFrom.configMapKeyRef.key}` });
    else env.set(entry.name, { value: '', source: 'the pod spec' });
  }
  return env;
}

/** The serving container's effective env in `pod` (the ConfigMaps it references are read; a missing one adds nothing). */
export async function podEnv(
  kube: KubeClient,
  namespace: string,
  container: Pick<V1Container, 'env' | 'envFrom'>,
): Promise<Map<string, PodEnvValue>> {
  const names = (container.envFrom ?? []).flatMap((source) => (source.configMapRef?.name ? [source.configMapRef.name] : []));
  const maps = new Map<string, Record<string, string> | undefined>();
  for (const name of new Set(names)) {
    const found = await kube.core.readNamespacedConfigMap({ name, namespace }).catch((error: unknown) => {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    });
    maps.set(name, found?.data);
  }
  return effectiveEnv(container, maps);
}

function plain(env: ReadonlyMap<string, PodEnvValue>, name: string): string | undefined {
  const found = env.get(name);
  return found && 'value' in found && found.value !== '' ? found.value : undefined;
}

/** AWS_REGION (the SDK's, then AWS_DEFAULT_REGION) against the endpoint's region, aws.region. */
export function regionRecord(service: string, pod: string, env: ReadonlyMap<string, PodEnvValue>, region: string): CheckRecord {
  const base = { check: 'sagemaker.pod-region', subject: service };
  const variable = plain(env, 'AWS_REGION') !== undefined ? 'AWS_REGION' : 'AWS_DEFAULT_REGION';
  const podRegion = plain(env, variable);
  const redeploy = `run mlp deploy: it rolls the pods with AWS_REGION=${region} from aws.region`;
  if (podRegion === undefined) {
    return {
      ...base,
      status: 'fail',
      saw: `wrong region: pod ${pod} runs with no AWS_REGION (the endpoint is in ${region})`,
      fix: redeploy,
    };
  }
  if (podRegion !== region) {
    return {
      ...base,
      status: 'fail',
      saw: `wrong region: pod ${pod} runs with ${variable}=${podRegion}, but the endpoint is in ${region} (aws.region in mlp.yaml)`,
      fix: `${redeploy}; if the endpoint really is in ${podRegion}, set aws.region: ${podRegion} instead`,
    };
  }
  return { ...base, status: 'pass', saw: `pod ${pod} runs with ${variable}=${podRegion}, the endpoint's region` };
}

/** SAGEMAKER_ENDPOINT against services[].model.endpoint, and where AWS calls go (AWS_ENDPOINT_URL) when overridden. */
export function endpointEnvRecord(service: string, pod: string, env: ReadonlyMap<string, PodEnvValue>, endpoint: string): CheckRecord {
  const base = { check: 'sagemaker.pod-endpoint', subject: service };
  const podEndpoint = plain(env, 'SAGEMAKER_ENDPOINT');
  const override = ['AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME', 'AWS_ENDPOINT_URL'].find((name) => plain(env, name) !== undefined);
  const overrideValue = override === undefined ? undefined : env.get(override);
  const where =
    override === undefined || overrideValue === undefined || !('value' in overrideValue)
      ? 'at AWS'
      : `at ${overrideValue.value} (${override}, from ${overrideValue.source})`;
  if (podEndpoint !== endpoint) {
    return {
      ...base,
      status: 'fail',
      saw: `pod ${pod} calls ${podEndpoint === undefined ? 'no endpoint (SAGEMAKER_ENDPOINT is not set)' : `endpoint ${podEndpoint}`}, but services[].model.endpoint is ${endpoint}`,
      fix: 'run mlp deploy: it rolls the pods with SAGEMAKER_ENDPOINT from services[].model.endpoint',
    };
  }
  return { ...base, status: 'pass', saw: `pod ${pod} calls endpoint ${podEndpoint} ${where}` };
}
