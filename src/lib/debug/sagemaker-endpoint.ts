/**
 * Check 1 of `mlp debug sagemaker`: the endpoint a service proxies to exists in aws.region and is InService
 * (SageMaker DescribeEndpoint, with the CLI's own credentials). A missing or unhealthy endpoint is "endpoint down".
 */
import { resolveRegion, sagemakerClient, toMlpError, type AwsEnv } from '../aws.js';
import { MlpError } from '../errors.js';
import type { CheckRecord } from './check.js';

export interface EndpointVariant {
  name: string;
  currentInstances: number | undefined;
  desiredInstances: number | undefined;
}

/** What DescribeEndpoint said, or that the endpoint does not exist, or the error that kept it from answering. */
export type EndpointOutcome =
  | { kind: 'found'; status: string; failureReason: string | undefined; variants: EndpointVariant[] }
  | { kind: 'missing' }
  | { kind: 'error'; error: MlpError };

/** DescribeEndpoint of `endpoint` in `region`; never throws for an AWS failure (the check reports it). */
export async function describeSageMakerEndpoint(
  endpoint: string,
  region: string,
  env: AwsEnv,
  signal: AbortSignal,
): Promise<EndpointOutcome> {
  const { DescribeEndpointCommand } = await import('@aws-sdk/client-sagemaker');
  const client = await sagemakerClient({ region, env });
  try {
    const out = await client.send(new DescribeEndpointCommand({ EndpointName: endpoint }), { abortSignal: signal });
    return {
      kind: 'found',
      status: out.EndpointStatus ?? 'Unknown',
      failureReason: out.FailureReason,
      variants: (out.ProductionVariants ?? []).map((variant) => ({
        name: variant.VariantName ?? '?',
        currentInstances: variant.CurrentInstanceCount,
        desiredInstances: variant.DesiredInstanceCount,
      })),
    };
  } catch (error) {
    // SageMaker answers a missing endpoint with a ValidationException, not a ResourceNotFound.
    const { name, message } = error as { name?: string; message?: string };
    if (name === 'ValidationException' && /could not find endpoint/i.test(message ?? '')) return { kind: 'missing' };
    const mapped = toMlpError(error, {
      service: 'sagemaker',
      operation: 'SageMaker DescribeEndpoint',
      region: resolveRegion({ region, env }),
      action: 'sagemaker:DescribeEndpoint',
      env,
    });
    if (mapped instanceof MlpError) return { kind: 'error', error: mapped };
    throw mapped;
  } finally {
    client.destroy();
  }
}

const WAIT_STATUSES = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'UpdateRollbackFailed']);

/** The record for what describeSageMakerEndpoint found. */
export function endpointRecord(service: string, endpoint: string, region: string, outcome: EndpointOutcome): CheckRecord {
  const base = { check: 'sagemaker.endpoint-in-service', subject: service };
  const describe = `aws sagemaker describe-endpoint --endpoint-name ${endpoint} --region ${region}`;
  if (outcome.kind === 'error') {
    return { ...base, status: 'fail', saw: outcome.error.message, fix: outcome.error.hint ?? `check that ${describe} works` };
  }
  if (outcome.kind === 'missing') {
    return {
      ...base,
      status: 'fail',
      saw: `endpoint down: there is no SageMaker endpoint ${endpoint} in ${region}`,
      fix:
        `create it (aws sagemaker create-endpoint --endpoint-name ${endpoint} --endpoint-config-name <config> --region ${region}), ` +
        `or correct services[].model.endpoint or aws.region in mlp.yaml (aws sagemaker list-endpoints --region ${region})`,
    };
  }
  const variants = outcome.variants.map(
    (variant) =>
      `variant ${variant.name}, ${variant.currentInstances ?? 0} instance${variant.currentInstances === 1 ? '' : 's'}` +
      (variant.desiredInstances !== undefined && variant.desiredInstances !== variant.currentInstances
        ? ` of ${variant.desiredInstances} desired`
        : ''),
  );
  const shape = variants.length > 0 ? ` (${variants.join('; ')})` : '';
  if (outcome.status === 'InService') {
    return { ...base, status: 'pass', saw: `endpoint ${endpoint} in ${region} is InService${shape}` };
  }
  const reason = outcome.failureReason ? `: ${outcome.failureReason}` : '';
  return {
    ...base,
    status: 'fail',
    saw: `endpoint down: ${endpoint} in ${region} is ${outcome.status}${reason}${shape}`,
    fix: WAIT_STATUSES.has(outcome.status)
      ? `wait until ${describe} says InService, then run mlp debug sagemaker again`
      : `fix the cause above, then recreate the endpoint (aws sagemaker delete-endpoint --endpoint-name ${endpoint} --region ${region}; aws sagemaker create-endpoint …); its logs are in CloudWatch under /aws/sagemaker/Endpoints/${endpoint}`,
  };
}
