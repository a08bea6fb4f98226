import { describe, expect, it } from 'vitest';
import { MlpError } from '../errors.js';
import { credentialsRecord, type CredentialFacts } from './sagemaker-credentials.js';
import { endpointRecord } from './sagemaker-endpoint.js';
import { endpointRequestBody, invokeRecord } from './sagemaker-invoke.js';
import { effectiveEnv, endpointEnvRecord, regionRecord } from './sagemaker-pod-env.js';

describe('endpoint record', () => {
  it('passes an InService endpoint with its variant and instance count', () => {
    const record = endpointRecord('fraud', 'fraud-prod', 'us-east-1', {
      kind: 'found',
      status: 'InService',
      failureReason: undefined,
      variants: [{ name: 'AllTraffic', currentInstances: 1, desiredInstances: 1 }],
    });
    expect(record).toMatchObject({ status: 'pass', saw: 'endpoint fraud-prod in us-east-1 is InService (variant AllTraffic, 1 instance)' });
  });

  it('says "endpoint down" with the status and FailureReason otherwise', () => {
    const failed = endpointRecord('fraud', 'fraud-prod', 'us-east-1', {
      kind: 'found',
      status: 'Failed',
      failureReason: 'The primary container did not pass the ping health check.',
      variants: [],
    });
    expect(failed.status).toBe('fail');
    expect(failed.saw).toBe('endpoint down: fraud-prod in us-east-1 is Failed: The primary container did not pass the ping health check.');
    expect(failed.fix).toContain('recreate the endpoint');
    const creating = endpointRecord('fraud', 'fraud-prod', 'us-east-1', {
      kind: 'found',
      status: 'Creating',
      failureReason: undefined,
      variants: [],
    });
    expect(creating.fix).toContain(
      'wait until aws sagemaker describe-endpoint --endpoint-name fraud-prod --region us-east-1 says InService',
    );
    const missing = endpointRecord('fraud', 'fraud-prod', 'eu-west-1', { kind: 'missing' });
    expect(missing).toMatchObject({ status: 'fail', saw: 'endpoint down: there is no SageMaker endpoint fraud-prod in eu-west-1' });
  });

  it('reports an AWS failure as a failed check with its hint', () => {
    const error = new MlpError('credentials', 'SageMaker DescribeEndpoint failed: no usable AWS credentials were found.', {
      hint: 'set AWS_PROFILE',
    });
    expect(endpointRecord('fraud', 'e', 'us-east-1', { kind: 'error', error })).toMatchObject({ status: 'fail', fix: 'set AWS_PROFILE' });
  });
});

describe('credentials record', () => {
  const facts = (over: Partial<CredentialFacts>): CredentialFacts => ({
    namespace: 'ml',
    serviceAccount: { name: 'fraud', roleArn: undefined },
    configuredRoleArn: undefined,
    secret: undefined,
    ...over,
  });
  const ROLE = 'arn:aws:iam::123456789012:role/fraud';

  it('passes IRSA, and a Secret with both keys', () => {
    expect(credentialsRecord('fraud', facts({ serviceAccount: { name: 'fraud', roleArn: ROLE }, configuredRoleArn: ROLE }))).toMatchObject({
      status: 'pass',
      saw: `pods assume IAM role ${ROLE} through IRSA (ServiceAccount fraud)`,
    });
    const secret = { name: 'aws-credentials', keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] };
    expect(credentialsRecord('fraud', facts({ secret })).status).toBe('pass');
  });

  it('fails "pods have no credentials" for a missing Secret, a Secret without a key, or neither', () => {
    const missing = credentialsRecord('fraud', facts({ secret: { name: 'aws-credentials', keys: undefined } }));
    expect(missing.saw).toBe(
      'pods have no credentials: Secret aws-credentials (cluster.awsCredentialsSecret) does not exist in namespace ml',
    );
    expect(missing.fix).toContain('kubectl -n ml create secret generic aws-credentials --from-literal=AWS_ACCESS_KEY_ID=…');
    const partial = credentialsRecord('fraud', facts({ secret: { name: 'aws-credentials', keys: ['AWS_ACCESS_KEY_ID'] } }));
    expect(partial.saw).toBe('pods have no credentials: Secret aws-credentials has no AWS_SECRET_ACCESS_KEY (it has: AWS_ACCESS_KEY_ID)');
    const neither = credentialsRecord('fraud', facts({}));
    expect(neither.status).toBe('fail');
    expect(neither.saw).toContain('pods have no credentials');
    expect(neither.fix).toMatch(/serviceAccount\.roleArn.*create secret generic aws-credentials.*cluster\.awsCredentialsSecret/);
    const unapplied = credentialsRecord('fraud', facts({ configuredRoleArn: ROLE }));
    expect(unapplied).toMatchObject({ status: 'fail', fix: 'run mlp deploy to apply the ServiceAccount with its role annotation' });
  });
});

describe('pod environment', () => {
  const container = {
    envFrom: [{ configMapRef: { name: 'fraud' } }],
    env: [
      { name: 'AWS_REGION', value: 'us-east-1' },
      { name: 'SAGEMAKER_ENDPOINT', value: 'fraud-prod' },
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'aws-credentials', key: 'AWS_ACCESS_KEY_ID' } } },
    ],
  };
  const maps = new Map([['fraud', { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://10.244.0.1:5055' }]]);

  it('takes the container env over its ConfigMap, and never resolves a Secret key', () => {
    const env = effectiveEnv(container, maps);
    expect(env.get('AWS_REGION')).toEqual({ value: 'us-east-1', source: 'the pod spec' });
    expect(env.get('AWS_ENDPOINT_URL')).toEqual({ value: 'http://10.244.0.1:5055', source: 'ConfigMap fraud' });
    expect(env.get('AWS_ACCESS_KEY_ID')).toEqual({ from: 'Secret aws-credentials key AWS_ACCESS_KEY_ID' });
  });

  it('says "wrong region" when the pod runs with another region than aws.region', () => {
    const env = effectiveEnv(container, maps);
    expect(regionRecord('fraud', 'fraud-1', env, 'us-east-1').status).toBe('pass');
    const wrong = regionRecord('fraud', 'fraud-1', env, 'eu-west-2');
    expect(wrong).toMatchObject({ status: 'fail' });
    expect(wrong.saw).toBe(
      'wrong region: pod fraud-1 runs with AWS_REGION=us-east-1, but the endpoint is in eu-west-2 (aws.region in mlp.yaml)',
    );
    expect(regionRecord('fraud', 'fraud-1', new Map(), 'us-east-1').saw).toContain('wrong region: pod fraud-1 runs with no AWS_REGION');
  });

  it('compares SAGEMAKER_ENDPOINT and names an AWS_ENDPOINT_URL override', () => {
    const env = effectiveEnv(container, maps);
    expect(endpointEnvRecord('fraud', 'fraud-1', env, 'fraud-prod')).toMatchObject({
      status: 'pass',
      saw: 'pod fraud-1 calls endpoint fraud-prod at http://10.244.0.1:5055 (AWS_ENDPOINT_URL, from ConfigMap fraud)',
    });
    expect(endpointEnvRecord('fraud', 'fraud-1', env, 'fraud-v2')).toMatchObject({
      status: 'fail',
      saw: 'pod fraud-1 calls endpoint fraud-prod, but services[].model.endpoint is fraud-v2',
    });
  });
});

describe('InvokeEndpoint', () => {
  it('sends a smoke body for the serving app as the app would send it to the endpoint', () => {
    expect(endpointRequestBody({ features: [1, 0.5] }, 'application/json')).toBe('{"instances":[[1,0.5]]}');
    expect(endpointRequestBody({ features: [1, 0.5] }, 'text/csv')).toBe('1,0.5');
    expect(endpointRequestBody({ instances: [[1]] }, 'application/json')).toBe('{"instances":[[1]]}');
    // The app holds features as float32 and writes them so; the same bytes, or the endpoint sees two requests.
    expect(endpointRequestBody({ features: [0.21, 2] }, 'text/csv')).toBe(`${Math.fround(0.21)},2`);
  });

  it('passes with status and latency, fails "throttled" on ThrottlingException, and with the message otherwise', () => {
    expect(
      invokeRecord('fraud', 'e', { kind: 'answered', status: 200, latencyMs: 12, contentType: 'application/json', bytes: 20 }).saw,
    ).toBe('InvokeEndpoint e with the smoke body answered 200 in 12 ms (20 bytes, application/json)');
    const throttled = invokeRecord('fraud', 'e', {
      kind: 'failed',
      name: 'ThrottlingException',
      message: 'SageMaker InvokeEndpoint failed: ThrottlingException: Rate exceeded',
      status: 400,
      hint: undefined,
    });
    expect(throttled).toMatchObject({ status: 'fail', saw: 'throttled: InvokeEndpoint e answered ThrottlingException' });
    expect(throttled.fix).toContain('instance count');
    const model = invokeRecord('fraud', 'e', {
      kind: 'failed',
      name: 'ModelError',
      message: 'SageMaker InvokeEndpoint failed: ModelError: Received client error (400)',
      status: 424,
      hint: undefined,
    });
    expect(model).toMatchObject({
      status: 'fail',
      saw: 'InvokeEndpoint e failed: SageMaker InvokeEndpoint failed: ModelError: Received client error (400)',
    });
    expect(invokeRecord('fraud', 'e', undefined).status).toBe('skip');
  });
});
