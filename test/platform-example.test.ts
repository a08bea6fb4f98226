/**
 * examples/platform (seed 000's platform: fraud on XGBoost, recommendations on Factorization Machines, forecasting on
 * DeepAR, each a SageMaker endpoint behind the bundled serving app, one Ingress routing by path, the namespace's
 * ResourceQuota and LimitRange) against the bench: its three endpoints in moto, its pods on the REAL node calling
 * them through moto's relay with the keys of the aws-credentials Secret. The example's own mlp.yaml is used as it
 * is, with a `bench` profile added for this bench's registry, cluster, namespace and region.
 *
 * moto answers each new (endpoint, body) with the next result queued for the region, and the same pair again with
 * the same result — keyed by the body alone, for the moto process's lifetime. The three services warm up at once, in no
 * fixed order, so their warm-ups are given one result that decodes for all three tasks; each smoke request, made
 * unique to this run, then gets its own, queued just before `mlp test <service>`.
 * `mlp debug sagemaker` sends the smoke bodies again from the CLI: the same bodies (encoded by the same code), so
 * moto answers them from what it answered the pods — which is what the check proves.
 */
import { DeleteEndpointCommand } from '@aws-sdk/client-sagemaker';
import type { KubeConfig } from '@kubernetes/client-node';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
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
import { createMotoEndpoint, drainMotoQueue, motoSageMaker, queueInvokeResults, recreateMotoEndpoint } from './support/moto-sagemaker.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGION = 'ca-central-1';
const SECRET = 'aws-credentials';
const SERVICES = ['fraud', 'recommendations', 'forecasting'] as const;
const FIRST_DEPLOY_MS = 480_000;
const TIMEOUT_MS = 180_000;

const week = (base: number) => Array.from({ length: 7 }, (_, day) => base + day);
/** A result every task decodes: a scored row (fraud, recommendations) that is also a DeepAR forecast. */
const WARM_UP = {
  predictions: [{ score: 0.1, predicted_label: 0, mean: week(0), quantiles: { '0.1': week(0), '0.5': week(0), '0.9': week(0) } }],
};
const SMOKE_RESULTS: Record<(typeof SERVICES)[number], unknown> = {
  fraud: { predictions: [0.04] },
  recommendations: { predictions: [0.2, 0.8, 0.5].map((score) => ({ score, predicted_label: score > 0.5 ? 1 : 0 })) },
  forecasting: { predictions: [{ mean: week(120), quantiles: { '0.1': week(100), '0.5': week(120), '0.9': week(140) } }] },
};

describeWithBench(['docker', 'registry', 'baseImage', 'buildx', 'kube', 'node', 'moto'], 'examples/platform on the bench', () => {
  let work: string;
  let project: string;
  let namespace: string;
  let endpoints: Record<string, string>;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');

  const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);
  const queue = (bodies: unknown[]) => queueInvokeResults(REGION, bodies);
  const env = () => ({ ...motoChildEnv(), ...clusterEnv(), AWS_REGION: REGION });
  const mlp = (...args: string[]) => spawnMlp([...args, '--profile', 'bench'], { cwd: project, env: env() });
  const debug = async (topic: string): Promise<{ code: number | null; checks: CheckRecord[]; stdout: string; stderr: string }> => {
    const run = await mlp('debug', topic, '--json');
    const document = JSON.parse(run.stdout) as { checks?: CheckRecord[] };
    expect(document.checks, `${run.stdout}\n${run.stderr}`).toBeDefined();
    return { code: run.code, checks: document.checks!, stdout: run.stdout, stderr: run.stderr };
  };
  const failed = (checks: CheckRecord[]) => checks.filter((check) => check.status === 'fail');

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    const suffix = Date.now().toString(36);
    namespace = `mlp-platform-${suffix}`;
    work = mkdtempSync(path.join(tmpdir(), 'mlp-platform-'));
    project = path.join(work, 'platform');
    cpSync(path.join(ROOT, 'examples', 'platform'), project, { recursive: true });

    // The example's endpoint names, each with this run's suffix (moto keeps endpoints for the bench's lifetime).
    const document = parseDocument(readFileSync(path.join(project, 'mlp.yaml'), 'utf8'));
    endpoints = Object.fromEntries(
      SERVICES.map((service, index) => [service, `${String(document.getIn(['services', index, 'model', 'endpoint']))}-${suffix}`]),
    );
    SERVICES.forEach((service, index) => document.setIn(['services', index, 'model', 'endpoint'], endpoints[service]));
    // This run's own smoke bodies (moto answers a body it has seen before with what it answered then).
    const run = Date.now() % 997;
    document.setIn(['services', 0, 'smoke', 0, 'body', 'features', 6], 5400 + run);
    document.setIn(['services', 1, 'smoke', 0, 'body', 'user'], run);
    document.setIn(['services', 2, 'smoke', 0, 'body', 'target', 0], 120 + run);
    document.set(
      'profiles',
      document.createNode([
        {
          name: 'bench',
          aws: { region: REGION },
          registry: { type: 'generic', url: `${benchStatus().registry.url}/${namespace}` },
          build: { baseImage: benchStatus().baseImage.image },
          cluster: { name: 'bench', context: kubeConfig.getCurrentContext(), namespace },
          deploy: { timeoutSeconds: 150 },
          services: SERVICES.map((service) => ({
            name: service,
            replicas: 1,
            env: { AWS_ENDPOINT_URL: podAwsEndpoint() },
          })),
        },
      ]),
    );
    writeFileSync(path.join(project, 'mlp.yaml'), document.toString());

    for (const endpoint of Object.values(endpoints)) await createMotoEndpoint(REGION, endpoint);
    await drainMotoQueue(REGION, suffix);
    await createRealNodeNamespace(kubeConfig, namespace);
    await core().createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: SECRET },
        stringData: { AWS_ACCESS_KEY_ID: motoEnv().AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: motoEnv().AWS_SECRET_ACCESS_KEY! },
      },
    });
  });

  afterAll(async () => {
    await core()
      .deleteNamespacedSecret({ name: SECRET, namespace })
      .catch(() => undefined);
    await core()
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'deploys the three services, one Ingress routing by path, the quota and limit range; mlp test and mlp debug sagemaker pass',
    async () => {
      await queue(SERVICES.map(() => WARM_UP));
      const deployed = await mlp('deploy', '--skip-train', '--skip-test');
      expect(deployed.code, deployed.stderr).toBe(0);
      // The warm-up bodies are always the same: on a moto that has seen them they took nothing from the queue.
      await drainMotoQueue(REGION, `${namespace}-after-deploy`);

      const networking = kubeConfig.makeApiClient(k8s.NetworkingV1Api);
      const ingress = await networking.readNamespacedIngress({ name: 'ml-platform', namespace });
      expect(ingress.spec?.ingressClassName).toBe('alb');
      expect(ingress.spec?.rules?.[0]?.http?.paths.map((p) => [p.path, p.backend.service?.name])).toEqual([
        ['/fraud', 'fraud'],
        ['/recommendations', 'recommendations'],
        ['/forecasting', 'forecasting'],
      ]);
      expect((await core().listNamespacedResourceQuota({ namespace })).items.map((q) => q.metadata?.name)).toEqual([`${namespace}-quota`]);
      expect((await core().listNamespacedLimitRange({ namespace })).items).toHaveLength(1);

      for (const service of SERVICES) {
        await queue([SMOKE_RESULTS[service]]);
        const tested = await mlp('test', service);
        expect(tested.code, `${tested.stdout}\n${tested.stderr}`).toBe(0);
      }

      const run = await mlp('debug', 'sagemaker');
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      for (const service of SERVICES) {
        expect(run.stdout).toContain(
          `ok   ${service}: endpoint ${endpoints[service]} in ${REGION} is InService (variant AllTraffic, 1 instance)`,
        );
        // Not moto's default answer ("body", 4 bytes): the CLI sent the very body the pod sent, and got its answer.
        expect(run.stdout).toMatch(
          new RegExp(
            `ok {3}${service}: InvokeEndpoint ${endpoints[service]} with the smoke body answered 200 in \\d+ ms \\(\\d+ bytes, application/json\\)`,
          ),
        );
        expect(run.stdout).not.toContain('(4 bytes, content_type)');
        expect(run.stdout).toMatch(new RegExp(`ok {3}${service}: GET /ready on pod ${service}-\\S+ answered 200`));
      }
      expect(run.stdout).toContain('all 18 checks passed');
    },
    FIRST_DEPLOY_MS,
  );

  it(
    'broken four ways, each topic names the cause: endpoint deleted, secret missing, wrong region, quota too small',
    async () => {
      // 1. The recommendations endpoint deleted: "endpoint down" for that service only.
      const client = motoSageMaker(REGION);
      await client.send(new DeleteEndpointCommand({ EndpointName: endpoints.recommendations })).finally(() => client.destroy());
      try {
        const { code, checks } = await debug('sagemaker');
        expect(code).toBe(43);
        expect(failed(checks).map((check) => [check.check, check.subject])).toEqual([['sagemaker.endpoint-in-service', 'recommendations']]);
        expect(failed(checks)[0]!.saw).toBe(`endpoint down: there is no SageMaker endpoint ${endpoints.recommendations} in ${REGION}`);
      } finally {
        await recreateMotoEndpoint(REGION, endpoints.recommendations!);
      }

      // 2. The Secret missing: every service's pods have no credentials.
      await core().deleteNamespacedSecret({ name: SECRET, namespace });
      {
        const { code, checks } = await debug('sagemaker');
        expect(code).toBe(43);
        expect(failed(checks).map((check) => [check.check, check.subject])).toEqual(
          SERVICES.map((service) => ['sagemaker.pod-credentials', service]),
        );
        expect(failed(checks)[0]!.saw).toBe(
          `pods have no credentials: Secret ${SECRET} (cluster.awsCredentialsSecret) does not exist in namespace ${namespace}`,
        );
      }
      await core().createNamespacedSecret({
        namespace,
        body: {
          metadata: { name: SECRET },
          stringData: { AWS_ACCESS_KEY_ID: motoEnv().AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: motoEnv().AWS_SECRET_ACCESS_KEY! },
        },
      });

      // 3. The project now says another region than the pods run with: "wrong region" for each service.
      {
        const file = path.join(project, 'mlp.yaml');
        const original = readFileSync(file, 'utf8');
        writeFileSync(file, original.replace(`region: ${REGION}`, 'region: eu-south-2'));
        try {
          const { code, checks } = await debug('sagemaker');
          expect(code).toBe(43);
          const regions = failed(checks).filter((check) => check.check === 'sagemaker.pod-region');
          expect(regions.map((check) => check.subject)).toEqual([...SERVICES]);
          expect(regions[0]!.saw).toMatch(
            /^wrong region: pod fraud-\S+ runs with AWS_REGION=ca-central-1, but the endpoint is in eu-south-2/,
          );
        } finally {
          writeFileSync(file, original);
        }
      }

      // 4. A ResourceQuota too small for the platform's next deploy: mlp debug quota names it and what to change.
      await core().createNamespacedResourceQuota({
        namespace,
        body: { metadata: { name: 'team-cap' }, spec: { hard: { 'requests.cpu': '350m' } } },
      });
      try {
        for (let tries = 0; tries < 30; tries += 1) {
          const live = await core().readNamespacedResourceQuota({ name: 'team-cap', namespace });
          if (live.status?.used?.['requests.cpu'] === '300m') break;
          await sleep(500);
        }
        const run = await mlp('debug', 'quota');
        expect(run.code, run.stderr).toBe(43);
        expect(run.stdout).toContain(
          "FAIL team-cap/requests.cpu: 300m of 350m used; the next deploy needs 600m, replacing the project's pods' 300m → 600m (250m over)",
        );
        expect(run.stdout).toContain('raise requests.cpu of ResourceQuota team-cap to 600m');
      } finally {
        await core().deleteNamespacedResourceQuota({ name: 'team-cap', namespace });
      }
    },
    TIMEOUT_MS,
  );
});
