/**
 * `mlp render` end to end: the CLI in-process on a copy of examples/fraud, its stdout, --out and --json, and — on the
 * bench's real kube-apiserver — every rendered object sent as a server-side apply with dryRun All, which runs the
 * API server's full validation and defaulting without persisting anything. The pod templates are also dry-run
 * created as Pods in a namespace that enforces the "restricted" Pod Security Standard.
 */
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBench, kubeconfigPath } from './support/bench.js';
import { runMlp } from './support/run-mlp.js';

const EXAMPLE = path.resolve(import.meta.dirname, '..', 'examples', 'fraud');
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of examples/fraud (without any local .mlp state), its mlp.yaml changed by `edit`. */
async function exampleCopy(edit: (text: string) => string = (text) => text): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlp-render-cli-'));
  dirs.push(dir);
  await cp(EXAMPLE, dir, { recursive: true, filter: (source) => !source.split(path.sep).includes('.mlp') });
  const file = path.join(dir, 'mlp.yaml');
  await writeFile(file, edit(await readFile(file, 'utf8')));
  return dir;
}

function parseManifests(text: string): KubernetesObject[] {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return [];
  for (const document of documents) expect(document.errors).toEqual([]);
  return documents.map((document) => document.toJS() as KubernetesObject);
}

const inNamespace = (namespace: string) => (text: string) =>
  text.replace('\ndeploy:\n', `\ncluster:\n  name: bench\n  namespace: ${namespace}\n\ndeploy:\n`);

/** Remote training, an ALB Ingress with IRSA on the example's service, and a second (SageMaker) service behind an NLB. */
const everything = (text: string) =>
  text
    .replace(
      '  timeoutSeconds: 1800\n',
      '  timeoutSeconds: 1800\n  remote:\n    enabled: true\n    artifacts: s3://fraud-models/models\n    roleArn: "arn:aws:iam::123456789012:role/fraud-training"\n    resources: { requests: { cpu: "1", memory: 2Gi }, limits: { cpu: "2", memory: 4Gi } }\n',
    )
    .replace(
      '    replicas: 2\n',
      '    replicas: 2\n    serviceAccount: { roleArn: "arn:aws:iam::123456789012:role/fraud-serving" }\n    expose: { type: ingress, host: fraud.example.com, ingressClassName: alb }\n    env: { LOG_LEVEL: debug }\n',
    )
    .replace(
      '\nprofiles:\n',
      '  - name: scorer\n    model: { source: sagemaker, endpoint: scorer-prod }\n    autoscaling: { enabled: false }\n    expose: { type: nlb }\n\nprofiles:\n',
    );

describe('mlp render (CLI)', () => {
  it('prints only the manifests on stdout and the not-built warning on stderr', async () => {
    const dir = await exampleCopy();
    const run = await runMlp(['render', '-C', dir]);
    expect(run.exitCode, run.stderr).toBe(0);
    const objects = parseManifests(run.stdout);
    expect(objects.map((object) => object.kind)).toEqual([
      'Namespace',
      'ResourceQuota',
      'LimitRange',
      'ServiceAccount',
      'ConfigMap',
      'Service',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'NetworkPolicy',
    ]);
    expect(run.stderr).toContain('fraud is not built yet');
  });

  it('--json prints {"manifests": [...]}, the same objects', async () => {
    const dir = await exampleCopy();
    const [yamlRun, jsonRun] = [await runMlp(['render', '-C', dir]), await runMlp(['render', '-C', dir, '--json'])];
    expect(jsonRun.exitCode).toBe(0);
    expect(JSON.parse(jsonRun.stdout)).toEqual({ ok: true, manifests: parseManifests(yamlRun.stdout) });
  });

  it('--out writes one numbered file per object, replaces an earlier render and leaves other files alone', async () => {
    const dir = await exampleCopy();
    const out = path.join(dir, 'manifests');
    const first = await runMlp(['render', '-C', dir, '--out', out, '--service-monitor'], { cwd: dir });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toContain(`wrote 11 manifests to ${out}`);
    await writeFile(path.join(out, 'mine.yaml'), 'kept: true\n');
    const second = await runMlp(['render', '-C', dir, '--out', 'manifests'], { cwd: dir });
    expect(second.exitCode, second.stderr).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files).toEqual([
      '01-namespace-ml-platform.yaml',
      '02-resourcequota-ml-platform-quota.yaml',
      '03-limitrange-ml-platform-limits.yaml',
      '04-serviceaccount-fraud.yaml',
      '05-configmap-fraud.yaml',
      '06-service-fraud.yaml',
      '07-deployment-fraud.yaml',
      '08-horizontalpodautoscaler-fraud.yaml',
      '09-poddisruptionbudget-fraud.yaml',
      '10-networkpolicy-fraud.yaml',
      'mine.yaml',
    ]);
    const stdout = (await runMlp(['render', '-C', dir])).stdout;
    const fromFiles = await Promise.all(
      files.filter((file) => file !== 'mine.yaml').map(async (file) => parseManifests(await readFile(path.join(out, file), 'utf8'))[0]),
    );
    expect(fromFiles).toEqual(parseManifests(stdout));
  });

  it('exits 30 (render) when a service sets PORT that is not its port, and 2 for an unknown --service', async () => {
    const dir = await exampleCopy((text) => text.replace('    replicas: 2\n', '    replicas: 2\n    env: { PORT: "9000" }\n'));
    const run = await runMlp(['render', '-C', dir]);
    expect(run.exitCode).toBe(30);
    expect(run.stdout).toBe('');
    expect((await runMlp(['render', '-C', await exampleCopy(), '--service', 'frud'])).stderr).toContain('did you mean fraud');
  });
});

/** Where the API server keeps each kind mlp renders (what discovery would say). */
const PLURALS: Record<string, string> = {
  Namespace: 'namespaces',
  ResourceQuota: 'resourcequotas',
  LimitRange: 'limitranges',
  ServiceAccount: 'serviceaccounts',
  ConfigMap: 'configmaps',
  Service: 'services',
  Deployment: 'deployments',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  PodDisruptionBudget: 'poddisruptionbudgets',
  NetworkPolicy: 'networkpolicies',
  Ingress: 'ingresses',
  Job: 'jobs',
  ServiceMonitor: 'servicemonitors',
};

/**
 * The rendered object exactly as mlp produced it, as an apply patch with fieldValidation=Strict. client-node's
 * patch() first re-serialises through its typed models, which silently drops a field they do not know, and the API
 * server's default validation only warns about unknown fields; this way a misspelt field in a template fails.
 */
async function strictDryRunApply(kc: KubeConfig, object: KubernetesObject): Promise<{ status: number; body: string }> {
  const { apiVersion, kind, metadata } = object;
  const base = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
  const scope = metadata?.namespace ? `/namespaces/${metadata.namespace}` : '';
  const url = new URL(
    `${base}${scope}/${PLURALS[kind!]}/${metadata!.name}?dryRun=All&fieldManager=mlp&force=true&fieldValidation=Strict`,
    kc.getCurrentCluster()!.server,
  );
  const options: https.RequestOptions = {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/apply-patch+yaml', Accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const request = https.request(url, options, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(object));
  });
}

describeWithBench(['kube'], 'mlp render output passes the API server (bench kube-apiserver, server-side apply dry run)', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let objects: KubernetesObjectApi;
  const namespaces: string[] = [];

  beforeAll(() => {
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath());
    core = kc.makeApiClient(CoreV1Api);
    objects = KubernetesObjectApi.makeApiClient(kc);
  });

  afterAll(async () => {
    await Promise.allSettled(namespaces.map((name) => core.deleteNamespace({ name })));
  });

  /** Namespaced dry runs need the namespace to exist; it enforces the restricted Pod Security Standard. */
  async function realNamespace(): Promise<string> {
    const name = `mlp-render-${randomBytes(3).toString('hex')}`;
    await core.createNamespace({
      body: { metadata: { name, labels: { 'mlp.bench/test': 'render', 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    });
    namespaces.push(name);
    return name;
  }

  async function dryRunApply(manifests: readonly KubernetesObject[]): Promise<void> {
    for (const manifest of manifests) {
      const strict = await strictDryRunApply(kc, manifest);
      expect([200, 201], `${manifest.kind}/${manifest.metadata?.name}: ${strict.body}`).toContain(strict.status);
      // And the way mlp deploy sends it (src/lib/kube/apply.ts).
      const applied = await objects
        .patch(manifest, undefined, 'All', 'mlp', true, PatchStrategy.ServerSideApply)
        .catch((error: { body?: unknown; message?: string }) => {
          throw new Error(
            `${manifest.kind}/${manifest.metadata?.name} was rejected: ${typeof error.body === 'string' ? error.body : JSON.stringify(error.body ?? error.message)}`,
          );
        });
      expect(applied.kind).toBe(manifest.kind);
      expect(applied.metadata?.name).toBe(manifest.metadata?.name);
    }
  }

  /** A pod template as a Pod, dry-run created: admission checks it against Pod Security "restricted". */
  async function dryRunPod(namespace: string, name: string, template: { metadata?: object; spec?: unknown }): Promise<void> {
    const body: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name }, spec: template.spec as V1Pod['spec'] };
    await core.createNamespacedPod({ namespace, body, dryRun: 'All' }).catch((error: { body?: unknown }) => {
      throw new Error(`pod ${name} was rejected: ${typeof error.body === 'string' ? error.body : JSON.stringify(error.body)}`);
    });
  }

  it('refuses a misspelt field and a pod that is not "restricted" (so the checks below mean something)', async () => {
    const namespace = await realNamespace();
    const typo = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'typo', namespace }, automountServiceAccountTokn: false };
    const result = await strictDryRunApply(kc, typo as KubernetesObject);
    // 500, oddly: the API server fails to build the typed patch ("field not declared in schema").
    expect(result.status, result.body).toBeGreaterThanOrEqual(400);
    expect(result.body).toContain('automountServiceAccountTokn');
    await waitForDefaultServiceAccount(namespace);
    await expect(dryRunPod(namespace, 'root', { spec: { containers: [{ name: 'c', image: 'registry.example/x:1' }] } })).rejects.toThrow(
      /violates PodSecurity/,
    );
  });

  it('accepts every object of examples/fraud', async () => {
    const namespace = await realNamespace();
    const run = await runMlp(['render', '-C', await exampleCopy(inNamespace(namespace))]);
    expect(run.exitCode, run.stderr).toBe(0);
    const manifests = parseManifests(run.stdout);
    expect(manifests.every((manifest) => manifest.kind === 'Namespace' || manifest.metadata?.namespace === namespace)).toBe(true);
    await dryRunApply(manifests);
  });

  it('accepts an ingress, an NLB Service, IRSA, ServiceMonitors and the training Job; their pods meet Pod Security "restricted"', async () => {
    const namespace = await realNamespace();
    const run = await runMlp(['render', '-C', await exampleCopy((text) => everything(inNamespace(namespace)(text))), '--service-monitor']);
    expect(run.exitCode, run.stderr).toBe(0);
    const manifests = parseManifests(run.stdout);
    const kinds = manifests.map((manifest) => manifest.kind);
    // ServiceMonitor: against the Prometheus Operator's own CRD schema, which the bench cluster has (kube.sh).
    for (const kind of ['Ingress', 'Job', 'HorizontalPodAutoscaler', 'ServiceMonitor']) expect(kinds).toContain(kind);
    expect(manifests.filter((manifest) => manifest.kind === 'Deployment')).toHaveLength(2);
    expect(manifests.find((manifest) => manifest.kind === 'Service' && manifest.metadata?.name === 'scorer-public')).toBeDefined();
    await dryRunApply(manifests);

    // A pod is admitted only when its ServiceAccount exists, so these are created for real in the throwaway namespace.
    for (const account of manifests.filter((manifest) => manifest.kind === 'ServiceAccount')) {
      await objects.patch(account, undefined, undefined, 'mlp', true, PatchStrategy.ServerSideApply);
    }
    const workloads = manifests.filter((manifest) => manifest.kind === 'Deployment' || manifest.kind === 'Job') as Array<
      KubernetesObject & { spec: { template: { metadata?: object; spec?: unknown } } }
    >;
    for (const workload of workloads) {
      await dryRunPod(namespace, `${workload.metadata!.name}-pod`, workload.spec.template);
    }
  });

  async function waitForDefaultServiceAccount(namespace: string): Promise<void> {
    const end = Date.now() + 60_000;
    for (;;) {
      try {
        await core.readNamespacedServiceAccount({ name: 'default', namespace });
        return;
      } catch (error) {
        if (Date.now() > end) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
});
