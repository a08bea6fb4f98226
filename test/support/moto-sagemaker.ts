/**
 * SageMaker in the bench's moto: endpoints (CreateModel, CreateEndpointConfig, CreateEndpoint; InService at once)
 * and moto's queue of InvokeEndpoint results. moto answers each request body it has not seen with the next result
 * queued for the region (else the literal "body"), and a body it has seen with the same answer again — keyed by the
 * body, not the endpoint, for the moto process's lifetime — so suites queue in regions of their own.
 */
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { motoEndpoint, motoEnv } from './bench.js';

export function motoSageMaker(region: string): SageMakerClient {
  return new SageMakerClient({
    region,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: motoEnv().AWS_ACCESS_KEY_ID!, secretAccessKey: motoEnv().AWS_SECRET_ACCESS_KEY! },
  });
}

/** The model and endpoint config behind `endpoint` (one AllTraffic variant), then the endpoint itself. */
export async function createMotoEndpoint(region: string, endpoint: string): Promise<void> {
  const client = motoSageMaker(region);
  try {
    await client.send(
      new CreateModelCommand({
        ModelName: `${endpoint}-model`,
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/sagemaker',
        PrimaryContainer: { Image: `123456789012.dkr.ecr.${region}.amazonaws.com/builtin:1` },
      }),
    );
    await client.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${endpoint}-config`,
        ProductionVariants: [
          { VariantName: 'AllTraffic', ModelName: `${endpoint}-model`, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' },
        ],
      }),
    );
  } finally {
    client.destroy();
  }
  await recreateMotoEndpoint(region, endpoint);
}

/** The endpoint again, from the config createMotoEndpoint made (after a test deleted it). */
export async function recreateMotoEndpoint(region: string, endpoint: string): Promise<void> {
  const client = motoSageMaker(region);
  try {
    await client.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: `${endpoint}-config` }));
  } finally {
    client.destroy();
  }
}

/** Queues InvokeEndpoint answers in `region`, in order; a string body is sent as it is, anything else as JSON. */
export async function queueInvokeResults(region: string, bodies: readonly unknown[], contentType = 'application/json'): Promise<void> {
  const res = await fetch(`${motoEndpoint()}/moto-api/static/sagemaker/endpoint-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      region,
      results: bodies.map((body) => ({
        Body: typeof body === 'string' ? body : JSON.stringify(body),
        ContentType: contentType,
        InvokedProductionVariant: 'AllTraffic',
        CustomAttributes: '',
      })),
    }),
  });
  if (res.status !== 201) throw new Error(`moto refused the queued results: ${res.status} ${await res.text()}`);
}

/**
 * Takes whatever is left queued in `region` (by an interrupted run, or by warm-ups moto answered from memory) until
 * moto answers its default "body". Each body is new (`tag` makes them this caller's), or moto would answer from memory.
 */
export async function drainMotoQueue(region: string, tag: string): Promise<void> {
  const runtime = new SageMakerRuntimeClient({
    region,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: motoEnv().AWS_ACCESS_KEY_ID!, secretAccessKey: motoEnv().AWS_SECRET_ACCESS_KEY! },
  });
  try {
    for (let n = 0; n < 1000; n += 1) {
      const out = await runtime.send(new InvokeEndpointCommand({ EndpointName: `drain-${tag}`, Body: `drain-${tag}-${n}` }));
      if (new TextDecoder().decode(out.Body) === 'body') return;
    }
    throw new Error(`moto's InvokeEndpoint queue in ${region} did not run dry in 1000 calls`);
  } finally {
    runtime.destroy();
  }
}
