/**
 * `mlp train --remote` end to end on the bench's REAL node (test/bench/node.sh): mlp builds the real training image
 * of examples/fraud and pushes it to the local registry, applies the Job to the real control plane, and the kubelet
 * pulls that image by digest and runs it, non-root on a read-only root filesystem. The pod gets its AWS credentials
 * the way a cluster without IRSA gives them (cluster.awsCredentialsSecret, a Secret in the namespace) and uploads the
 * model to moto's S3 through the address node.sh relays to it; mlp streams the pod's log while it waits, then
 * downloads the model, checks it against the manifest, validates and registers it. Failures are the real
 * container's: a command that exits non-zero, one that outgrows its memory limit, one that outlives
 * training.timeoutSeconds, Ctrl-C, a missing Secret, a quota that refuses the pod. Only the image that cannot be pulled
 * runs on kwok (see the last test).
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { GetPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  benchStatus,
  createRealNodeNamespace,
  describeWithBench,
  kubeconfigPath,
  motoChildEnv,
  motoEnv,
  podAwsEndpoint,
  realNodeName,
} from './support/bench.js';
import { MLP_BIN, spawnMlp, type ProcessRun } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The first run builds the training image: pip installs numpy, scikit-learn and onnx into it. */
const FIRST_RUN_MS = 900_000;
const RUN_MS = 300_000;
const SECRET = 'aws-credentials';
/** A training that would run for a minute: for the deadline and Ctrl-C. */
const SLEEPS = ['python', '-c', 'import time; print("training", flush=True); time.sleep(120)'];

interface TrainingVariant {
  /** training.command as a list (default: examples/fraud's). */
  command?: string[];
  timeoutSeconds?: number;
  /** training.remote.resources as YAML flow. */
  resources?: string;
}

describeWithBench(
  ['docker', 'registry', 'moto', 'kube', 'node', 'pythonImage', 'baseImage', 'buildx'],
  'mlp train --remote: a training Job on the real node',
  () => {
    let work: string;
    let project: string;
    let namespace: string;
    let kubeConfig: KubeConfig;
    let k8s: typeof import('@kubernetes/client-node');
    const bucket = `mlp-test-remote-${Date.now().toString(36)}`;

    const env = (): Record<string, string> => ({ ...motoChildEnv(), CI: 'true', KUBECONFIG: kubeconfigPath() });
    const mlp = (...args: string[]): Promise<ProcessRun> => spawnMlp(args, { cwd: project, env: env() });
    const config = (variant: TrainingVariant = {}, name = 'fraud', inNamespace = namespace): string =>
      [
        'apiVersion: mlp/v1',
        `name: ${name}`,
        `registry: { type: generic, url: "${benchStatus().registry.url}" }`,
        'cluster:',
        '  name: bench',
        `  context: ${kubeConfig.getCurrentContext()}`,
        `  namespace: ${inNamespace}`,
        `  awsCredentialsSecret: ${SECRET}`,
        'deploy: { target: eks, timeoutSeconds: 180 }',
        'build:',
        `  baseImage: ${benchStatus().baseImage.image}`,
        `  pythonBaseImage: ${benchStatus().pythonImage.image}`,
        'training:',
        `  command: ${variant.command ? JSON.stringify(variant.command) : 'python train.py --out ${MLP_OUTPUT_DIR}'}`,
        '  requirements: requirements.txt',
        `  timeoutSeconds: ${variant.timeoutSeconds ?? 600}`,
        // Where the pod finds moto: the endpoint is configuration, like a VPC endpoint would be.
        `  env: { AWS_ENDPOINT_URL: "${podAwsEndpoint()}" }`,
        '  remote:',
        '    enabled: true',
        `    artifacts: s3://${bucket}/models`,
        `    resources: ${variant.resources ?? '{ requests: { cpu: 250m, memory: 256Mi }, limits: { cpu: "1", memory: 1Gi } }'}`,
        'services:',
        '  - name: fraud',
        '    model: { source: training }',
        '    replicas: 1',
        '    smoke:',
        '      - name: predict',
        '        method: POST',
        '        path: /predict',
        `        body: { features: [${Array.from({ length: 20 }, () => '0.5').join(', ')}], request_id: smoke }`,
      ].join('\n');
    const writeConfig = (variant?: TrainingVariant): void => writeFileSync(path.join(project, 'mlp.yaml'), config(variant));

    const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);
    const batch = () => kubeConfig.makeApiClient(k8s.BatchV1Api);
    const versions = async (): Promise<Array<{ version: string; latest: boolean }>> => {
      const listed = await mlp('train', '--list', '--json');
      expect(listed.code, listed.stderr).toBe(0);
      return JSON.parse(listed.stdout).versions;
    };
    const jobPods = async (job: string): Promise<V1Pod[]> =>
      (await core().listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
    /** The Job mlp names on stderr ("in Job fraud-train-…"). */
    const jobOf = (stderr: string): string => /Job (fraud-train-[0-9a-f]{10})/.exec(stderr)![1]!;
    /** The first Job pod created after `since` whose container runs. */
    const runningJobPod = async (since: Date, timeoutMs: number): Promise<V1Pod> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { items } = await core()
          .listNamespacedPod({ namespace, labelSelector: 'batch.kubernetes.io/job-name' })
          .catch(() => ({ items: [] as V1Pod[] }));
        const pod = items.find(
          (candidate) =>
            (candidate.metadata?.creationTimestamp?.getTime() ?? 0) >= since.getTime() - 1000 &&
            candidate.status?.containerStatuses?.[0]?.state?.running !== undefined,
        );
        if (pod) return pod;
        if (Date.now() > deadline) throw new Error(`no running Job pod in ${namespace} within ${timeoutMs} ms`);
        await sleep(500);
      }
    };
    /** moto's S3, as the test sees it (not through mlp). */
    const s3 = (): S3Client =>
      new S3Client({
        region: 'us-east-1',
        endpoint: motoEnv().AWS_ENDPOINT_URL,
        forcePathStyle: true,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
    const createSecret = () =>
      core().createNamespacedSecret({
        namespace,
        body: {
          metadata: { name: SECRET },
          stringData: { AWS_ACCESS_KEY_ID: motoEnv().AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: motoEnv().AWS_SECRET_ACCESS_KEY! },
        },
      });

    beforeAll(async () => {
      k8s = await import('@kubernetes/client-node');
      kubeConfig = new k8s.KubeConfig();
      kubeConfig.loadFromFile(kubeconfigPath());
      work = mkdtempSync(path.join(tmpdir(), 'mlp-train-remote-'));
      project = path.join(work, 'fraud');
      mkdirSync(project);
      for (const file of ['train.py', 'requirements.txt']) cpSync(path.join(ROOT, 'examples', 'fraud', file), path.join(project, file));
      namespace = `mlp-train-${Date.now().toString(36)}`;
      await createRealNodeNamespace(kubeConfig, namespace);
      await createSecret();
      writeConfig();
    });

    afterAll(async () => {
      await core()
        .deleteNamespace({ name: namespace })
        .catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
    });

    it(
      'runs the training in a Job on the real node, streams its log, downloads the uploaded model and registers it',
      async () => {
        const done = await mlp('train', '--remote');
        expect(done.code, done.stderr).toBe(0);
        const version = /registered fraud (\S+)/.exec(done.stderr)![1]!;
        // The training's own lines came through the pod log while mlp waited, then mlp's download and registration.
        const trained = done.stderr.indexOf('[train]');
        expect(trained, done.stderr).toBeGreaterThan(-1);
        expect(done.stderr).toMatch(/mlp: uploaded \d+ files/);
        expect(done.stderr.indexOf('downloaded')).toBeGreaterThan(trained);
        expect(done.stdout).toContain(`Registered fraud version ${version}`);
        expect(done.stdout).toContain(`artifacts  s3://${bucket}/models/fraud/${version}/`);
        expect(await versions()).toEqual([expect.objectContaining({ version, latest: true })]);

        const job = jobOf(done.stderr);
        const [pod] = await jobPods(job);
        expect(pod!.spec!.nodeName).toBe(realNodeName());
        const container = pod!.spec!.containers[0]!;
        expect(container.command).toBeUndefined();
        // Pulled by the digest mlp pushed, and the kubelet says it ran that image.
        expect(container.image).toMatch(new RegExp(`^${benchStatus().registry.url}/fraud/training\\.job@sha256:[0-9a-f]{64}$`));
        expect(pod!.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
        // The credentials are references to the Secret: no value of theirs is in the Job.
        expect(container.env).toContainEqual({
          name: 'AWS_SECRET_ACCESS_KEY',
          valueFrom: { secretKeyRef: { name: SECRET, key: 'AWS_SECRET_ACCESS_KEY' } },
        });
        const spec = JSON.stringify(await batch().readNamespacedJob({ name: job, namespace }));
        expect(spec).not.toContain(`"${motoEnv().AWS_SECRET_ACCESS_KEY}"`);
      },
      FIRST_RUN_MS + RUN_MS,
    );

    it('created the artifacts bucket it did not find with every kind of public access blocked', async () => {
      // The bucket is this suite's own (its name has the run's timestamp): the first training created it.
      const client = s3();
      try {
        const { PublicAccessBlockConfiguration } = await client.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
        expect(PublicAccessBlockConfiguration).toEqual({
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        });
      } finally {
        client.destroy();
      }
    });

    it(
      'mlp deploy trains on the cluster first, then builds, pushes, rolls out and smoke-tests the model the Job produced',
      async () => {
        const done = await mlp('deploy');
        expect(done.code, done.stderr).toBe(0);
        const version = /registered fraud (\S+)/.exec(done.stderr)![1]!;
        expect(done.stderr).toContain('fraud: rolled out');
        expect(done.stderr).toMatch(/fraud: smoke test predict: POST \/predict → 200 in \d+ ms \(pod fraud-/);
        const deployment = await kubeConfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'fraud', namespace });
        // The serving image that rolled out is the one just built around that version, from the registry by digest.
        expect(deployment.metadata?.labels?.['app.kubernetes.io/version']).toBe(version);
        expect(deployment.spec!.template.spec!.containers[0]!.image).toMatch(
          new RegExp(`^${benchStatus().registry.url}/fraud/fraud@sha256:[0-9a-f]{64}$`),
        );
      },
      RUN_MS * 2,
    );

    it(
      'a training command that fails exits 10 with its real last log lines and registers nothing; the Job is kept for inspection',
      async () => {
        const before = await versions();
        writeConfig({
          command: ['python', '-c', "print('loading 10000 transactions', flush=True); raise ValueError('Input contains NaN')"],
        });
        try {
          const done = await mlp('train', '--remote');
          expect(done.code, done.stderr).toBe(10);
          expect(done.stderr).toMatch(/The training command in Job fraud-train-[0-9a-f]{10} exited with code 1; nothing was registered/);
          expect(done.stderr).toContain('log: ValueError: Input contains NaN');
          expect(done.stderr).toContain(`kubectl -n ${namespace} logs job/`);
          expect(await versions()).toEqual(before);
          const job = await batch().readNamespacedJob({ name: jobOf(done.stderr), namespace });
          expect(job.status?.conditions?.find((condition) => condition.type === 'Failed')?.status).toBe('True');
        } finally {
          writeConfig();
        }
      },
      RUN_MS,
    );

    it(
      'a training that outgrows training.remote.resources.limits.memory is OOMKilled: exit 38 naming the limit',
      async () => {
        writeConfig({
          command: ['python', '-c', 'block = bytearray(1 << 30); print(len(block))'],
          resources: '{ requests: { cpu: 100m, memory: 64Mi }, limits: { cpu: 500m, memory: 96Mi } }',
        });
        try {
          const done = await mlp('train', '--remote');
          expect(done.code, done.stderr).toBe(38);
          expect(done.stderr).toContain('the training container was killed for using more memory than its limit (OOMKilled, limit 96Mi)');
          expect(done.stderr).toContain('raise training.remote.resources.limits.memory');
        } finally {
          writeConfig();
        }
      },
      RUN_MS,
    );

    it(
      'stops at training.timeoutSeconds: the Job runs out of time and mlp exits 10 saying so',
      async () => {
        writeConfig({ command: SLEEPS, timeoutSeconds: 10 });
        try {
          const done = await mlp('train', '--remote');
          expect(done.code, done.stderr).toBe(10);
          expect(done.stderr).toContain('ran out of time: training.timeoutSeconds (10 s) passed; nothing was registered');
        } finally {
          writeConfig();
        }
      },
      RUN_MS,
    );

    it(
      'Ctrl-C stops the training on the cluster too: the Job is deleted, exit 130, nothing registered',
      async () => {
        writeConfig({ command: SLEEPS });
        try {
          const before = await versions();
          const started = new Date();
          const child = spawn(process.execPath, [MLP_BIN, 'train', '--remote'], {
            cwd: project,
            env: env(),
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stderr = '';
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.stdout.resume();
          const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
          const pod = await runningJobPod(started, RUN_MS);
          const job = pod.metadata!.labels!['batch.kubernetes.io/job-name']!;
          child.kill('SIGINT');
          expect(await exited, stderr).toBe(130);
          expect(stderr).toContain(`Training was interrupted; Job ${job} was deleted and nothing was registered.`);
          const gone = await batch()
            .readNamespacedJob({ name: job, namespace })
            .then((found) => found.metadata?.deletionTimestamp !== undefined)
            .catch((error: { code?: number }) => error.code === 404);
          expect(gone).toBe(true);
          expect(await versions()).toEqual(before);
        } finally {
          writeConfig();
        }
      },
      RUN_MS,
    );

    it(
      'a missing credentials Secret: exit 39 naming it and how to create it, and the Job is deleted',
      async () => {
        await core().deleteNamespacedSecret({ name: SECRET, namespace });
        try {
          const done = await mlp('train', '--remote');
          expect(done.code, done.stderr).toBe(39);
          expect(done.stderr).toMatch(
            /container train cannot be created: secret "aws-credentials" not found \(CreateContainerConfigError\)/,
          );
          expect(done.stderr).toContain(`kubectl -n ${namespace} create secret generic ${SECRET}`);
          expect(done.stderr).toContain(`Job ${jobOf(done.stderr)} was deleted, so it cannot train later unobserved`);
        } finally {
          await createSecret();
        }
      },
      RUN_MS,
    );

    it(
      "fails with exit 36 when the namespace's ResourceQuota refuses the training pod",
      async () => {
        await core().createNamespacedResourceQuota({
          namespace,
          body: { metadata: { name: 'no-more-pods' }, spec: { hard: { pods: '0' } } },
        });
        try {
          const run = await mlp('train', '--remote');
          expect(run.code, run.stderr).toBe(36);
          expect(run.stderr).toMatch(
            new RegExp(`Training Job fraud-train-[0-9a-f]{10}: the ResourceQuota of namespace ${namespace} refuses its pod`),
          );
          expect(run.stderr).toContain('exceeded quota: no-more-pods');
          // Left behind, it would train once the quota allows and upload a model nobody registers.
          expect(run.stderr).toContain(`Job ${jobOf(run.stderr)} was deleted, so it cannot train later unobserved`);
        } finally {
          await core().deleteNamespacedResourceQuota({ name: 'no-more-pods', namespace });
        }
      },
      RUN_MS,
    );

    it(
      'a training image the nodes cannot pull fails with exit 33 without waiting for the deadline, and the Job is deleted',
      async () => {
        // On kwok: the real node pulls from the bench registry whatever mlp pushed there, so a pull failure is
        // kwok's ImagePullBackOff for an image whose reference contains mlp-test-imagepullbackoff (kwok-stages.yaml).
        // A plain namespace, so the pod lands on a kwok node.
        const elsewhere = `${namespace}-kwok`;
        await core().createNamespace({ body: { metadata: { name: elsewhere } } });
        const other = path.join(work, 'mlp-test-imagepullbackoff');
        try {
          cpSync(project, other, { recursive: true, filter: (source) => !source.includes(`${path.sep}.mlp`) });
          writeFileSync(path.join(other, 'mlp.yaml'), config({}, 'mlp-test-imagepullbackoff', elsewhere));
          const run = await spawnMlp(['train', '--remote'], { cwd: other, env: env() });
          expect(run.code, run.stderr).toBe(33);
          expect(run.stderr).toMatch(
            /Training Job mlp-test-imagepullbackoff-train-[0-9a-f]{10}: pod \S+: ImagePullBackOff for image 127\.0\.0\.1:\d+\/mlp-test-imagepullbackoff\/training\.job@sha256:/,
          );
          expect(run.stderr).toContain('was deleted, so it cannot train later unobserved');
        } finally {
          await core()
            .deleteNamespace({ name: elsewhere })
            .catch(() => undefined);
        }
      },
      RUN_MS,
    );
  },
);
