/**
 * `mlp debug sagemaker` against real components: a SageMaker endpoint in moto (CreateModel, CreateEndpointConfig,
 * CreateEndpoint; moto puts it InService at once) and a SageMaker-backed service that mlp builds, pushes and deploys
 * onto the bench's REAL node, whose pods call that endpoint through moto's relay with the keys of a Secret
 * (cluster.awsCredentialsSecret). Then each way the runbook's "SageMaker calls failing" goes wrong is made real —
 * the Secret deleted, the endpoint deleted, pods running with another region — and the check that names it fails.
 *
 * moto's InvokeEndpoint answers every request, whether or not the endpoint exists, with the next result queued
 * through its /moto-api (else the literal "body"); the serving app's warm-up needs a prediction it can decode, so
 * results are queued before each rollout. The project runs in regions no other suite uses, so no other suite's
 * queued results are taken, nor ours by them.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { KubeConfig } from '@kubernetes/client-node';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckRecord } from '../src/lib/debug/check.js';
import {
  benchStatus,
  createRealNodeNamespace,
  describeWithBench,
  kubeconfigPath,
  motoChildEnv,
  motoEndpoint,
  motoEnv,
  podAwsEndpoint,
} from './support/bench.js';
import { clusterEnv } from './support/cluster-project.js';
import { runMlp } from './support/run-mlp.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGION = 'eu-west-3';
/** Where the "wrong region" release's pods are sent. */
const OTHER_REGION = 'eu-north-1';
const SECRET = 'aws-credentials';
const NO_REBUILD = ['--skip-train', '--skip-build', '--skip-push', '--skip-test'];
/** The first deploy builds and pushes the serving image (its runtime layers come from the build cache). */
const FIRST_DEPLOY_MS = 300_000;
const TIMEOUT_MS = 120_000;
const FEATURES = Array.from({ length: 20 }, () => 0.5);

describe('mlp debug sagemaker without a SageMaker-backed service', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlp-debug-sagemaker-plain-'));
    writeFileSync(
      path.join(dir, 'mlp.yaml'),
      'apiVersion: mlp/v1\nname: plain\nservices:\n  - name: api\n    model: { source: dir, path: model }\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one skip record and exits 0, touching neither AWS nor a cluster', async () => {
    const run = await runMlp(['debug', 'sagemaker'], { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      'skip no service in mlp.yaml has a SageMaker backend (services[].model.source: sagemaker)\n\nall 1 checks passed\n',
    );
    const named = await runMlp(['debug', 'sagemaker', 'api', '--json'], { cwd: dir });
    expect(named.exitCode, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)).toEqual({
      ok: true,
      topic: 'sagemaker',
      checks: [
        { check: 'sagemaker.services', status: 'skip', saw: 'service api has no SageMaker backend (services[].model.source: sagemaker)' },
      ],
    });
  });
});

describeWithBench(['docker', 'registry', 'baseImage', 'buildx', 'kube', 'node', 'moto'], 'mlp debug sagemaker', () => {
  let work: string;
  let project: string;
  let namespace: string;
  let endpoint: string;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');

  const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);
  const sagemaker = () =>
    new SageMakerClient({
      region: REGION,
      endpoint: motoEndpoint(),
      credentials: { accessKeyId: motoEnv().AWS_ACCESS_KEY_ID!, secretAccessKey: motoEnv().AWS_SECRET_ACCESS_KEY! },
    });
  const createEndpoint = async () => {
    const client = sagemaker();
    try {
      await client.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: `${endpoint}-config` }));
    } finally {
      client.destroy();
    }
  };
  const createSecret = () =>
    core().createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: SECRET },
        stringData: { AWS_ACCESS_KEY_ID: motoEnv().AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: motoEnv().AWS_SECRET_ACCESS_KEY! },
      },
    });
  /** Queues `count` decodable predictions in moto's InvokeEndpoint for `region` (each new request body takes one). */
  const queuePredictions = async (region: string, count: number) => {
    const results = Array.from({ length: count }, () => ({
      Body: '{"predictions": [0.2]}',
      ContentType: 'application/json',
      InvokedProductionVariant: 'AllTraffic',
      CustomAttributes: '',
    }));
    const res = await fetch(`${motoEndpoint()}/moto-api/static/sagemaker/endpoint-results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ region, results }),
    });
    expect(res.status).toBe(201);
  };

  /** mlp.yaml: one SageMaker-backed service whose pods reach moto, in `region`. */
  const configure = (region = REGION) => {
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      [
        'apiVersion: mlp/v1',
        'name: smdebug',
        `aws: { region: ${region} }`,
        `build: { baseImage: ${benchStatus().baseImage.image} }`,
        `registry: { type: generic, url: ${benchStatus().registry.url}/${namespace} }`,
        'cluster:',
        '  name: bench',
        `  context: ${kubeConfig.getCurrentContext()}`,
        `  namespace: ${namespace}`,
        `  awsCredentialsSecret: ${SECRET}`,
        'deploy: { target: eks, timeoutSeconds: 120 }',
        'services:',
        '  - name: fraud',
        `    model: { source: sagemaker, endpoint: ${endpoint}, metadata: fraud-metadata.json }`,
        '    replicas: 1',
        '    autoscaling: { enabled: false }',
        `    env: { AWS_ENDPOINT_URL: "${podAwsEndpoint()}" }`,
        '    smoke:',
        '      - name: predict',
        '        method: POST',
        '        path: /predict',
        `        body: { features: [${FEATURES.join(', ')}] }`,
      ].join('\n') + '\n',
    );
  };

  const env = () => ({ ...motoChildEnv(), ...clusterEnv() });
  const mlp = (...args: string[]) => spawnMlp(args, { cwd: project, env: env() });
  const debug = async (): Promise<{ code: number | null; checks: CheckRecord[]; stderr: string }> => {
    const run = await mlp('debug', 'sagemaker', '--json');
    const document = JSON.parse(run.stdout) as { checks?: CheckRecord[] };
    expect(document.checks, `${run.stdout}\n${run.stderr}`).toBeDefined();
    return { code: run.code, checks: document.checks!, stderr: run.stderr };
  };
  const failed = (checks: CheckRecord[]) => checks.filter((check) => check.status === 'fail');

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    const suffix = Date.now().toString(36);
    namespace = `mlp-smdebug-${suffix}`;
    endpoint = `smdebug-${suffix}`;
    work = mkdtempSync(path.join(tmpdir(), 'mlp-debug-sagemaker-'));
    project = path.join(work, 'smdebug');
    mkdirSync(project);
    cpSync(path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model', 'metadata.json'), path.join(project, 'fraud-metadata.json'));

    const client = sagemaker();
    try {
      await client.send(
        new CreateModelCommand({
          ModelName: `${endpoint}-model`,
          ExecutionRoleArn: 'arn:aws:iam::123456789012:role/sagemaker',
          PrimaryContainer: { Image: '123456789012.dkr.ecr.eu-west-3.amazonaws.com/xgboost:1' },
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
    await createEndpoint();
    await createRealNodeNamespace(kubeConfig, namespace);
    await createSecret();
    configure();
  });

  afterAll(async () => {
    await core()
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'a healthy service passes every check and exits 0',
    async () => {
      // The warm-up of each pod, and the smoke body (the same from the pods and from mlp, so one result serves both).
      await queuePredictions(REGION, 2);
      const deployed = await mlp('deploy', '--skip-train', '--skip-test');
      expect(deployed.code, deployed.stderr).toBe(0);

      const run = await mlp('debug', 'sagemaker');
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain(`ok   fraud: endpoint ${endpoint} in ${REGION} is InService (variant AllTraffic, 1 instance)`);
      expect(run.stdout).toContain(`ok   fraud: pods get AWS keys from Secret ${SECRET}`);
      expect(run.stdout).toMatch(new RegExp(`ok {3}fraud: pod fraud-\\S+ runs with AWS_REGION=${REGION}, the endpoint's region`));
      expect(run.stdout).toMatch(
        new RegExp(
          `ok {3}fraud: pod fraud-\\S+ calls endpoint ${endpoint} at ${podAwsEndpoint()} \\(AWS_ENDPOINT_URL, from ConfigMap fraud\\)`,
        ),
      );
      expect(run.stdout).toMatch(new RegExp(`ok {3}fraud: InvokeEndpoint ${endpoint} with the smoke body answered 200 in \\d+ ms`));
      expect(run.stdout).toMatch(/ok {3}fraud: GET \/ready on pod fraud-\S+ answered 200/);
      expect(run.stdout).toContain('all 6 checks passed');
      // Whatever else it printed, no credential value went out.
      expect(`${run.stdout}${run.stderr}`).not.toContain(`=${motoEnv().AWS_SECRET_ACCESS_KEY}`);
    },
    FIRST_DEPLOY_MS,
  );

  it(
    'the credentials Secret deleted: "pods have no credentials" with how to create it, exit 43',
    async () => {
      await core().deleteNamespacedSecret({ name: SECRET, namespace });
      try {
        const { code, checks, stderr } = await debug();
        expect(code, stderr).toBe(43);
        expect(failed(checks)).toEqual([
          expect.objectContaining({
            check: 'sagemaker.pod-credentials',
            saw: `pods have no credentials: Secret ${SECRET} (cluster.awsCredentialsSecret) does not exist in namespace ${namespace}`,
            fix: expect.stringContaining(`kubectl -n ${namespace} create secret generic ${SECRET} --from-literal=AWS_ACCESS_KEY_ID=…`),
          }),
        ]);
        expect(stderr).toContain('mlp debug sagemaker: 1 of 6 checks failed.');
      } finally {
        await createSecret();
      }
    },
    TIMEOUT_MS,
  );

  it(
    'the endpoint deleted: "endpoint down", exit 43',
    async () => {
      const client = sagemaker();
      await client.send(new DeleteEndpointCommand({ EndpointName: endpoint })).finally(() => client.destroy());
      try {
        const run = await mlp('debug', 'sagemaker', 'fraud');
        expect(run.code, run.stderr).toBe(43);
        expect(run.stdout).toContain(`FAIL fraud: endpoint down: there is no SageMaker endpoint ${endpoint} in ${REGION}`);
        expect(run.stdout).toContain(`fix: create it (aws sagemaker create-endpoint --endpoint-name ${endpoint}`);
        expect(run.stderr).toContain(`fraud: endpoint down: there is no SageMaker endpoint ${endpoint} in ${REGION}`);
      } finally {
        await createEndpoint();
      }
    },
    TIMEOUT_MS,
  );

  it(
    'pods running with another region than aws.region: "wrong region", exit 43',
    async () => {
      // A release made with aws.region set elsewhere; mlp debug then runs with the project's own region.
      await queuePredictions(OTHER_REGION, 1);
      configure(OTHER_REGION);
      const deployed = await mlp('deploy', ...NO_REBUILD);
      expect(deployed.code, deployed.stderr).toBe(0);
      configure(REGION);
      const { code, checks, stderr } = await debug();
      expect(code, stderr).toBe(43);
      expect(failed(checks)).toEqual([
        expect.objectContaining({
          check: 'sagemaker.pod-region',
          saw: expect.stringMatching(
            new RegExp(`^wrong region: pod fraud-\\S+ runs with AWS_REGION=${OTHER_REGION}, but the endpoint is in ${REGION}`),
          ),
          fix: expect.stringContaining(`run mlp deploy: it rolls the pods with AWS_REGION=${REGION} from aws.region`),
        }),
      ]);
    },
    TIMEOUT_MS,
  );
});
