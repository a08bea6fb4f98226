/**
 * Check 4 of `mlp debug sagemaker`: one real InvokeEndpoint with the service's smoke request, sent with the CLI's own
 * credentials — so a pass here and a failure in the pods points at the pods' credentials or environment, and a
 * failure here at the endpoint itself. ThrottlingException is "throttled": the endpoint works but refuses the rate.
 */
import { resolveRegion, sagemakerRuntimeClient, toMlpError, type AwsEnv } from '../aws.js';
import type { ServiceConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import type { CheckRecord } from './check.js';
import type { ModelTask } from '../../../serving/src/model-metadata.js';
import { encodeRows } from '../../../serving/src/sagemaker-codec.js';
import { taskEndpointRequest } from '../../../serving/src/sagemaker-task-codec.js';

type ContentType = 'application/json' | 'text/csv';

/**
 * The endpoint's request for a smoke body. The smoke request is made for the serving app (`{"features": [...]}`), and
 * the app hands the endpoint `{"instances": [[...]]}` or a CSV row (serving/src/sagemaker-codec.ts): so is this one.
 * A recommendation or forecast model's body is encoded as the app encodes it (serving/src/sagemaker-task-codec.ts).
 * Any other body is sent as it is.
 */
export function endpointRequestBody(body: unknown, contentType: ContentType, task: ModelTask = { type: 'classification' }): string {
  const forTask = taskEndpointRequest(body, task);
  if (forTask !== undefined) return forTask;
  const features = (body as { features?: unknown } | null)?.features;
  if (Array.isArray(features) && features.length > 0 && features.every((value) => typeof value === 'number')) {
    // As float32, as the app parses them: 0.21 goes out as 0.20999999344348907 from the pods, and so from here.
    return encodeRows(Float32Array.from(features as number[]), 1, features.length, contentType);
  }
  return typeof body === 'string' ? body : JSON.stringify(body);
}

export type InvokeOutcome =
  | { kind: 'answered'; status: number; latencyMs: number; contentType: string | undefined; bytes: number }
  | { kind: 'failed'; name: string; message: string; status: number | undefined; hint: string | undefined };

export async function invokeEndpoint(
  endpoint: string,
  contentType: ContentType,
  body: string,
  region: string,
  env: AwsEnv,
  signal: AbortSignal,
): Promise<InvokeOutcome> {
  const { InvokeEndpointCommand } = await import('@aws-sdk/client-sagemaker-runtime');
  // One attempt: a retry would hide the throttling this check is looking for.
  const client = await sagemakerRuntimeClient({ region, env }, { maxAttempts: 1 });
  const started = Date.now();
  try {
    const out = await client.send(
      new InvokeEndpointCommand({
        EndpointName: endpoint,
        ContentType: contentType,
        Accept: contentType,
        Body: new TextEncoder().encode(body),
      }),
      { abortSignal: signal },
    );
    return {
      kind: 'answered',
      status: out.$metadata.httpStatusCode ?? 200,
      latencyMs: Date.now() - started,
      contentType: out.ContentType,
      bytes: out.Body?.byteLength ?? 0,
    };
  } catch (error) {
    const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    const mapped = toMlpError(error, {
      service: 'sagemaker_runtime',
      operation: 'SageMaker InvokeEndpoint',
      region: resolveRegion({ region, env }),
      action: 'sagemaker:InvokeEndpoint',
      env,
    });
    if (!(mapped instanceof MlpError)) throw mapped;
    return { kind: 'failed', name: name ?? 'Error', message: mapped.message, status: $metadata?.httpStatusCode, hint: mapped.hint };
  } finally {
    client.destroy();
  }
}

/** The smoke body the check sends: the first smoke request that has one. */
export function smokeBody(service: ServiceConfig): unknown {
  return service.smoke.find((smoke) => smoke.body !== undefined)?.body;
}

export function invokeRecord(service: string, endpoint: string, outcome: InvokeOutcome | undefined): CheckRecord {
  const base = { check: 'sagemaker.invoke', subject: service };
  if (outcome === undefined) {
    return {
      ...base,
      status: 'skip',
      saw: `no InvokeEndpoint sent: services[].smoke has no request with a body`,
      fix: 'add a POST smoke request with a body to services[].smoke',
    };
  }
  if (outcome.kind === 'answered') {
    return {
      ...base,
      status: 'pass',
      saw: `InvokeEndpoint ${endpoint} with the smoke body answered ${outcome.status} in ${outcome.latencyMs} ms (${outcome.bytes} bytes${outcome.contentType ? `, ${outcome.contentType}` : ''})`,
    };
  }
  if (outcome.name === 'ThrottlingException' || outcome.status === 429) {
    return {
      ...base,
      status: 'fail',
      saw: `throttled: InvokeEndpoint ${endpoint} answered ${outcome.name}`,
      details: [outcome.message],
      fix: `the endpoint refuses the request rate: raise its instance count or add autoscaling (aws application-autoscaling register-scalable-target --service-namespace sagemaker --resource-id endpoint/${endpoint}/variant/<variant> …), or lower the services' replicas and request rate`,
    };
  }
  return {
    ...base,
    status: 'fail',
    saw: `InvokeEndpoint ${endpoint} failed: ${outcome.message}`,
    fix:
      outcome.hint ??
      `check the endpoint's logs in CloudWatch (/aws/sagemaker/Endpoints/${endpoint}) and the smoke body in services[].smoke`,
  };
}
