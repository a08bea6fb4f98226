/**
 * `mlp deploy` of examples/fraud to the bench cluster's REAL node (test/bench/node.sh: kubelet + containerd): mlp
 * trains, builds the serving image, pushes it to the bench registry, and the node pulls it by that digest and runs
 * it. The smoke test goes through a real port-forward into the real serving container; the kubelet runs the
 * probes, the non-root user and the read-only root filesystem; and a release that crashes, runs out of memory,
 * cannot load its model or never becomes ready fails with the real container's own reason and log lines, and is
 * rolled back. The namespace is annotated so that its pods land on the real node (createRealNodeNamespace) without
 * anything in mlp.yaml or the templates knowing about the bench.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, createRealNodeNamespace, describeWithBench, kubeconfigPath, realNodeName } from './support/bench.js';
import { clusterEnv } from './support/cluster-project.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Training, building and pushing from a cold cache take minutes on this machine; a failed release waits for the kubelet's back-off. */
const FIRST_DEPLOY_MS = 900_000;
const TIMEOUT_MS = 300_000;
const NO_REBUILD = ['--skip-train', '--skip-build', '--skip-push'];

interface ServiceVariant {
  env?: Record<string, string>;
  /** `resources:` of the service, as YAML flow. */
  resources?: string;
  /** `model:` of the service, as YAML flow (default: the newest trained version). */
  model?: string;
  expectStatus?: number;
  timeoutSeconds?: number;
  /** cluster.awsCredentialsSecret */
  awsCredentialsSecret?: string;
}

describeWithBench(['docker', 'registry', 'baseImage', 'buildx', 'kube', 'node'], 'mlp deploy of examples/fraud onto the real node', () => {
  let work: string;
  let project: string;
  let namespace: string;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');
  let example: string;

  const mlp = (...args: string[]) => spawnMlp(['--profile', 'bench-cluster', ...args], { cwd: project, env: clusterEnv() });

  /** examples/fraud's mlp.yaml plus a profile for the bench cluster, with the fraud service changed as `variant` says. */
  const configure = (variant: ServiceVariant = {}): void => {
    const service = [
      '    services:',
      '      - name: fraud',
      '        replicas: 2',
      '        autoscaling: { enabled: false }',
      ...(variant.model ? [`        model: ${variant.model}`] : []),
      ...(variant.env ? [`        env: ${JSON.stringify(variant.env)}`] : []),
      ...(variant.resources ? [`        resources: ${variant.resources}`] : []),
    ];
    const smoke =
      variant.expectStatus === undefined
        ? []
        : [
            '        smoke:',
            '          - name: predict',
            '            method: POST',
            '            path: /predict',
            `            body: { features: [${Array.from({ length: 20 }, () => '0.5').join(', ')}], request_id: smoke }`,
            `            expectStatus: ${variant.expectStatus}`,
          ];
    const profile = [
      '  - name: bench-cluster',
      '    build:',
      `      baseImage: ${benchStatus().baseImage.image}`,
      '    registry:',
      '      type: generic',
      `      url: ${benchStatus().registry.url}/${namespace}`,
      '    cluster:',
      '      name: bench',
      `      context: ${kubeConfig.getCurrentContext()}`,
      `      namespace: ${namespace}`,
      ...(variant.awsCredentialsSecret ? [`      awsCredentialsSecret: ${variant.awsCredentialsSecret}`] : []),
      '    deploy:',
      '      target: eks',
      `      timeoutSeconds: ${variant.timeoutSeconds ?? 120}`,
      ...service,
      ...smoke,
    ];
    writeFileSync(path.join(project, 'mlp.yaml'), `${example}\n${profile.join('\n')}\n`);
  };

  const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);
  const apps = () => kubeConfig.makeApiClient(k8s.AppsV1Api);
  const deployment = () => apps().readNamespacedDeployment({ name: 'fraud', namespace });
  const revision = async (): Promise<string> => (await deployment()).metadata!.annotations!['deployment.kubernetes.io/revision']!;
  /** The pods of the Deployment's current revision (its ReplicaSet with the same revision number), not terminating. */
  const newestPods = async (): Promise<V1Pod[]> => {
    const current = await revision();
    const sets = (await apps().listNamespacedReplicaSet({ namespace, labelSelector: 'mlp.dev/service=fraud' })).items;
    const hash = sets.find((set) => set.metadata?.annotations?.['deployment.kubernetes.io/revision'] === current)?.metadata?.labels?.[
      'pod-template-hash'
    ];
    const pods = (await core().listNamespacedPod({ namespace, labelSelector: `pod-template-hash=${hash}` })).items;
    return pods.filter((pod) => !pod.metadata?.deletionTimestamp);
  };

  /** Runs `command` in the pod's container `serving` through the API server and the kubelet (kubectl exec). */
  const exec = async (pod: string, command: string[]): Promise<{ status: string; output: string }> => {
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    const status = await new Promise<string>((resolve, reject) => {
      new k8s.Exec(kubeConfig)
        .exec(namespace, pod, 'serving', command, sink, sink, null, false, (result) => resolve(result.status ?? 'Unknown'))
        .catch(reject);
    });
    return { status, output };
  };

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    work = mkdtempSync(path.join(tmpdir(), 'mlp-real-node-'));
    namespace = `mlp-real-${Date.now().toString(36)}`;
    project = path.join(work, 'fraud');
    mkdirSync(project);
    for (const file of ['train.py', 'requirements.txt']) cpSync(path.join(ROOT, 'examples', 'fraud', file), path.join(project, file));
    example = readFileSync(path.join(ROOT, 'examples', 'fraud', 'mlp.yaml'), 'utf8');
    await createRealNodeNamespace(kubeConfig, namespace);
  });

  afterAll(async () => {
    await core()
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'trains, builds, pushes, rolls out on the real node and passes its smoke test against the real container',
    async () => {
      configure();
      const run = await mlp('deploy', '--json');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain('fraud: rolled out (2/2 available)');
      expect(run.stderr).toMatch(/fraud: smoke test predict: POST \/predict → 200 in \d+ ms \(pod fraud-/);

      // The node pulled, by digest, exactly what mlp push pushed.
      const pushed = JSON.parse(readFileSync(path.join(project, '.mlp', 'builds', 'fraud.json'), 'utf8')).pushed as {
        reference: string;
        digest: string;
      };
      expect(pushed.reference.startsWith(`${benchStatus().registry.url}/${namespace}/`)).toBe(true);
      const pods = await newestPods();
      expect(pods).toHaveLength(2);
      for (const pod of pods) {
        expect(pod.spec!.nodeName).toBe(realNodeName());
        const container = pod.status!.containerStatuses!.find((status) => status.name === 'serving')!;
        // containerd reports the image's config id as status.image for a pull by digest: the spec holds the reference.
        expect(pod.spec!.containers.find((spec) => spec.name === 'serving')!.image).toBe(pushed.reference);
        expect(container.imageID).toBe(pushed.reference);
        expect(container.ready).toBe(true);
        expect(container.state?.running).toBeDefined();
      }
    },
    FIRST_DEPLOY_MS,
  );

  it(
    'the container runs as uid 10001 on a read-only root filesystem, and the kubelet probes /health and /ready',
    async () => {
      const [pod] = await newestPods();
      const name = pod!.metadata!.name!;
      const id = await exec(name, ['id', '-u']);
      expect(id).toEqual({ status: 'Success', output: '10001\n' });
      // The root filesystem is mounted read-only in the container (the kernel's view, not the spec's).
      const mounts = await exec(name, ['cat', '/proc/self/mounts']);
      expect(mounts.status).toBe('Success');
      const root = mounts.output.split('\n').find((line) => line.split(' ')[1] === '/');
      expect(root?.split(' ')[3]?.split(',')).toContain('ro');
      // The probes are the kubelet's: it marked the container started and ready only after they answered.
      const container = pod!.status!.containerStatuses!.find((status) => status.name === 'serving')!;
      expect(container.started).toBe(true);
      const ready = pod!.status!.conditions!.find((condition) => condition.type === 'Ready')!;
      expect(ready.status).toBe('True');
      // And the model the pod serves is the one mlp trained (the ConfigMap's env names its version).
      const metadata = await exec(name, ['node', '-e', 'fetch("http://127.0.0.1:8080/metadata").then(r=>r.text()).then(console.log)']);
      expect(metadata.status).toBe('Success');
      expect(JSON.parse(metadata.output)).toMatchObject({ model_name: expect.any(String), feature_names: expect.any(Array) });
    },
    TIMEOUT_MS,
  );

  it(
    'mlp test reaches one ready pod of the current revision through a port-forward',
    async () => {
      const run = await mlp('test', 'fraud');
      expect(run.code, run.stderr).toBe(0);
      const pod = /\(pod (fraud-[a-z0-9-]+)/.exec(run.stdout)?.[1];
      expect(pod, run.stdout).toBeDefined();
      expect((await newestPods()).map((p) => p.metadata!.name)).toContain(pod);
    },
    TIMEOUT_MS,
  );

  it(
    'a release whose smoke test fails exits 40 and is rolled back to the release before it',
    async () => {
      const before = await revision();
      configure({ env: { LOG_LEVEL: 'debug' }, expectStatus: 418 });
      const run = await mlp('deploy', ...NO_REBUILD);
      expect(run.code, run.stderr).toBe(40);
      expect(run.stderr).toContain('Smoke test predict (POST /predict) answered 200, expected 418.');
      expect(run.stderr).toContain(`smoke test failed; rolling back to revision ${before}`);
      const live = await deployment();
      expect(live.spec!.template.spec!.containers[0]!.env?.find((e) => e.name === 'LOG_LEVEL')?.value).not.toBe('debug');
    },
    TIMEOUT_MS,
  );

  it(
    'a container that exits at start fails with CrashLoopBackOff (exit 34) and its real last log line, and is rolled back',
    async () => {
      const before = (await deployment()).spec!.template;
      configure({ env: { LOG_LEVEL: 'loud' } });
      const run = await mlp('deploy', ...NO_REBUILD);
      expect(run.code, run.stderr).toBe(34);
      expect(run.stderr).toMatch(/container serving keeps crashing \(CrashLoopBackOff, \d+ restarts, last exit code 2\)/);
      // What the serving process itself printed before it exited.
      expect(run.stderr).toContain('log: mlp-serving: invalid environment: LOG_LEVEL: must be one of');
      expect(run.stderr).toContain('rolled back to revision');
      expect((await deployment()).spec!.template.spec!.containers[0]!.env).toEqual(before.spec!.containers[0]!.env);
    },
    TIMEOUT_MS,
  );

  it(
    'a release that lowers its memory limit rolls out, and the namespace quota is lowered only after it',
    async () => {
      const quotaName = `${namespace}-quota`;
      const hardMemory = async (): Promise<string> =>
        (await core().readNamespacedResourceQuota({ name: quotaName, namespace })).spec!.hard!['limits.memory']!;
      const before = await hardMemory();
      configure({ resources: '{ requests: { cpu: 250m, memory: 192Mi }, limits: { cpu: 500m, memory: 384Mi } }' });
      const run = await mlp('deploy', ...NO_REBUILD);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`ResourceQuota/${quotaName} in ${namespace} configured (lowered now that the rollouts are done)`);
      const after = await hardMemory();
      expect(after).not.toBe(before);
      expect((await newestPods()).map((pod) => pod.spec!.containers[0]!.resources!.limits!.memory)).toEqual(['384Mi', '384Mi']);
    },
    TIMEOUT_MS,
  );

  it(
    'a container over its memory limit fails as OOMKilled (exit 38) naming the limit, and is rolled back',
    async () => {
      configure({ resources: '{ requests: { cpu: 100m, memory: 24Mi }, limits: { cpu: 500m, memory: 24Mi } }' });
      const run = await mlp('deploy', ...NO_REBUILD);
      expect(run.code, run.stderr).toBe(38);
      expect(run.stderr).toContain('was killed for using more memory than its limit (OOMKilled, limit 24Mi');
      expect(run.stderr).toContain('raise services[].resources.limits.memory in mlp.yaml');
      expect(run.stderr).toContain('rolled back to revision');
      const limits = (await deployment()).spec!.template.spec!.containers[0]!.resources!.limits!;
      expect(limits.memory).not.toBe('24Mi');
    },
    TIMEOUT_MS,
  );

  it(
    'an image whose model cannot be loaded crash-loops with the loader’s own error (exit 34), and is rolled back',
    async () => {
      const broken = path.join(project, 'broken-model');
      mkdirSync(broken, { recursive: true });
      cpSync(path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model', 'metadata.json'), path.join(broken, 'metadata.json'));
      writeFileSync(path.join(broken, 'model.onnx'), 'this is not an ONNX model\n');
      const good = (await deployment()).spec!.template.spec!.containers[0]!.image;
      configure({ model: '{ source: dir, path: broken-model }' });
      // Rebuilt and pushed: the model is part of the image.
      const run = await mlp('deploy', '--skip-train');
      expect(run.code, run.stderr).toBe(34);
      expect(run.stderr).toContain('keeps crashing (CrashLoopBackOff');
      expect(run.stderr).toMatch(/log: .*cannot load the model from/);
      expect((await deployment()).spec!.template.spec!.containers[0]!.image).toBe(good);
    },
    TIMEOUT_MS,
  );

  it(
    'a SageMaker-backed release whose credentials Secret does not exist: exit 39 naming the Secret and how to create it, rolled back',
    async () => {
      const good = (await deployment()).spec!.template.spec!.containers[0]!.image;
      cpSync(path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model', 'metadata.json'), path.join(project, 'fraud-metadata.json'));
      configure({
        model: '{ source: sagemaker, endpoint: fraud-nowhere, metadata: fraud-metadata.json }',
        awsCredentialsSecret: 'aws-credentials',
      });
      const run = await mlp('deploy', '--skip-train');
      expect(run.code, run.stderr).toBe(39);
      expect(run.stderr).toMatch(/container serving cannot be created: secret "aws-credentials" not found \(CreateContainerConfigError\)/);
      expect(run.stderr).toContain(`kubectl -n ${namespace} create secret generic aws-credentials`);
      expect((await deployment()).spec!.template.spec!.containers[0]!.image).toBe(good);
    },
    TIMEOUT_MS,
  );

  it(
    'a pod whose backend never answers stays unready: exit 32 with the readiness probe’s failure and the log, and is rolled back',
    async () => {
      const good = (await deployment()).spec!.template.spec!.containers[0]!.image;
      // A SageMaker-backed service whose endpoint the pod cannot reach: the app serves /health but /ready stays 503.
      // Credentials the way a cluster without IRSA gives them; nothing answers at the endpoint anyway.
      await core().createNamespacedSecret({
        namespace,
        body: { metadata: { name: 'aws-credentials' }, stringData: { AWS_ACCESS_KEY_ID: 'none', AWS_SECRET_ACCESS_KEY: 'none' } },
      });
      configure({
        model: '{ source: sagemaker, endpoint: fraud-nowhere, metadata: fraud-metadata.json }',
        env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
        awsCredentialsSecret: 'aws-credentials',
        timeoutSeconds: 30,
      });
      const run = await mlp('deploy', '--skip-train');
      expect(run.code, run.stderr).toBe(32);
      expect(run.stderr).toMatch(/container serving runs but never became ready \(GET \/ready kept failing\)/);
      expect(run.stderr).toMatch(/Readiness probe failed: HTTP probe failed with statuscode: 503/);
      expect(run.stderr).toMatch(/log: .*warm-up prediction failed; not ready yet/);
      expect((await deployment()).spec!.template.spec!.containers[0]!.image).toBe(good);
    },
    TIMEOUT_MS,
  );
});
