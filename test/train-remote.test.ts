/**
 * `mlp train --remote` end to end on the bench: mlp builds the real training image of examples/fraud and pushes it to
 * the local registry, applies the Job to the real control plane, streams the pod's log and waits; the test plays the
 * kubelet (kwok has no containers): it runs the Job's own container spec — image, args, env, user, read-only root —
 * with the real Docker engine against moto's S3, writes what it printed to the pod's log, and ends the pod with its
 * exit code (test/support/held-job.ts). mlp then downloads the model, checks it against the manifest, validates and
 * registers it. Failures: a training that exits non-zero, training.timeoutSeconds passing, a quota refusing the pod.
 */
import type { KubeConfig, V1Container, V1Pod } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { GetObjectCommand, GetPublicAccessBlockCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench, kubeconfigPath, motoChildEnv, motoEnv } from './support/bench.js';
import { clearHeldJobLog, endHeldPod, HELD_NAMESPACE, waitForJobPod, writeHeldJobLog } from './support/held-job.js';
import { MLP_BIN, spawnMlp, type ProcessRun } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The first run builds the training image: pip installs numpy, scikit-learn and onnx into it. */
const FIRST_RUN_MS = 900_000;
const RUN_MS = 240_000;

describeWithBench(
  ['docker', 'registry', 'moto', 'kube', 'pythonImage', 'baseImage', 'buildx'],
  'mlp train --remote: a training Job on the bench cluster',
  () => {
    let work: string;
    let project: string;
    let kubeConfig: KubeConfig;
    let k8s: typeof import('@kubernetes/client-node');
    const bucket = `mlp-test-remote-${Date.now().toString(36)}`;

    const env = (): Record<string, string> => ({ ...motoChildEnv(), CI: 'true', KUBECONFIG: kubeconfigPath() });
    const mlp = (...args: string[]): Promise<ProcessRun> => spawnMlp(args, { cwd: project, env: env() });
    const writeConfig = (training: string[] = []): void =>
      writeFileSync(
        path.join(project, 'mlp.yaml'),
        [
          'apiVersion: mlp/v1',
          'name: fraud',
          `registry: { type: generic, url: "${benchStatus().registry.url}" }`,
          'cluster:',
          '  name: bench',
          `  context: ${kubeConfig.getCurrentContext()}`,
          `  namespace: ${HELD_NAMESPACE}`,
          'deploy: { target: eks }',
          'build:',
          `  baseImage: ${benchStatus().baseImage.image}`,
          `  pythonBaseImage: ${benchStatus().pythonImage.image}`,
          'training:',
          '  command: python train.py --out ${MLP_OUTPUT_DIR}',
          '  requirements: requirements.txt',
          ...training,
          '  remote:',
          '    enabled: true',
          `    artifacts: s3://${bucket}/models`,
          'services:',
          '  - name: fraud',
          '    model: { source: training }',
        ].join('\n'),
      );
    const jobs = async () => (await kubeConfig.makeApiClient(k8s.BatchV1Api).listNamespacedJob({ namespace: HELD_NAMESPACE })).items;
    const deleteJobs = async (): Promise<void> => {
      const batch = kubeConfig.makeApiClient(k8s.BatchV1Api);
      for (const job of await jobs().catch(() => [])) {
        await batch
          .deleteNamespacedJob({ name: job.metadata!.name!, namespace: HELD_NAMESPACE, propagationPolicy: 'Background' })
          .catch(() => undefined);
      }
    };
    const versions = async (): Promise<Array<{ version: string; latest: boolean }>> => {
      const listed = await mlp('train', '--list', '--json');
      expect(listed.code, listed.stderr).toBe(0);
      return JSON.parse(listed.stdout).versions;
    };

    /** Starts mlp (train --remote by default) and resolves once its Job's pod runs, or fails if mlp exits before. */
    const startTraining = async (
      timeoutMs: number,
      args: string[] = ['train', '--remote'],
    ): Promise<{ run: Promise<ProcessRun>; pod: V1Pod }> => {
      const started = new Date();
      const run = mlp(...args);
      const exitedFirst = run.then((r) => Promise.reject(new Error(`mlp exited ${r.code} before its Job's pod ran:\n${r.stderr}`)));
      exitedFirst.catch(() => undefined);
      return { run, pod: await Promise.race([waitForJobPod(kubeConfig, HELD_NAMESPACE, started, timeoutMs), exitedFirst]) };
    };
    /**
     * The kubelet's part: the Job's container as specified, on the real engine against moto's S3; what it printed
     * becomes the pod's log and its exit code the pod's. Resolves with mlp's run and the version the Job trained.
     */
    const trainAsKubelet = async (
      timeoutMs: number,
      args?: string[],
      afterUpload: (version: string) => Promise<void> = async () => undefined,
    ): Promise<{ done: ProcessRun; version: string; container: V1Container }> => {
      clearHeldJobLog();
      const { run, pod } = await startTraining(timeoutMs, args);
      const container = pod.spec!.containers[0]!;
      const ran = await runJobContainer(pod, container, work);
      writeHeldJobLog(ran.lines);
      expect(ran.code, ran.lines.join('\n')).toBe(0);
      const version = container.env!.find((variable) => variable.name === 'MLP_MODEL_VERSION')!.value!;
      await afterUpload(version);
      await endHeldPod(kubeConfig, pod, ran.code);
      return { done: await run, version, container };
    };
    /** moto's S3, as the test sees it (not through mlp). */
    const s3 = (): S3Client =>
      new S3Client({
        region: 'us-east-1',
        endpoint: motoEnv().AWS_ENDPOINT_URL,
        forcePathStyle: true,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });

    beforeAll(async () => {
      k8s = await import('@kubernetes/client-node');
      kubeConfig = new k8s.KubeConfig();
      kubeConfig.loadFromFile(kubeconfigPath());
      work = mkdtempSync(path.join(tmpdir(), 'mlp-train-remote-'));
      project = path.join(work, 'fraud');
      mkdirSync(project);
      for (const file of ['train.py', 'requirements.txt']) cpSync(path.join(ROOT, 'examples', 'fraud', file), path.join(project, file));
      writeConfig();
      // The namespace is fixed (kwok serves logs for it alone) and outlives runs: start from no Jobs in it.
      await kubeConfig
        .makeApiClient(k8s.CoreV1Api)
        .createNamespace({ body: { metadata: { name: HELD_NAMESPACE } } })
        .catch(() => undefined);
      await deleteJobs();
    });

    afterAll(async () => {
      await deleteJobs();
      rmSync(work, { recursive: true, force: true });
    });

    it(
      'runs the training in a Job, streams its log, downloads the uploaded model and registers it',
      async () => {
        const { done, version, container } = await trainAsKubelet(FIRST_RUN_MS);
        expect(container.command).toBeUndefined();
        expect(done.code, done.stderr).toBe(0);
        // The training's own lines came through the pod log, then mlp's download and registration.
        expect(done.stderr).toMatch(/mlp: uploaded \d+ files/);
        expect(done.stderr).toContain(`downloaded`);
        expect(done.stderr).toContain(`registered fraud ${version}`);
        expect(done.stdout).toContain(`Registered fraud version ${version}`);
        expect(done.stdout).toContain(`artifacts  s3://${bucket}/models/fraud/${version}/`);
        expect(await versions()).toEqual([expect.objectContaining({ version, latest: true })]);
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
      'mlp deploy trains on the cluster first, then builds, pushes and rolls out the model the Job produced',
      async () => {
        const { done, version } = await trainAsKubelet(RUN_MS, ['deploy', '--skip-test']);
        expect(done.code, done.stderr).toBe(0);
        expect(done.stderr).toContain(`registered fraud ${version}`);
        expect(done.stderr).toContain('fraud: rolled out');
        const deployment = await kubeConfig
          .makeApiClient(k8s.AppsV1Api)
          .readNamespacedDeployment({ name: 'fraud', namespace: HELD_NAMESPACE });
        // The serving image that rolled out is the one just built around that version, from the registry by digest.
        expect(deployment.metadata?.labels?.['app.kubernetes.io/version']).toBe(version);
        expect(deployment.spec!.template.spec!.containers[0]!.image).toMatch(
          new RegExp(`^${benchStatus().registry.url}/fraud/fraud@sha256:[0-9a-f]{64}$`),
        );
      },
      RUN_MS * 2,
    );

    it(
      'refuses an uploaded file whose SHA-256 does not match the manifest (same size, one digit changed): exit 10, nothing registered',
      async () => {
        const before = await versions();
        let expected = '';
        let tampered = '';
        let size = 0;
        const { done, version } = await trainAsKubelet(RUN_MS, undefined, async (trained) => {
          // After the Job's upload, something else rewrites metrics.json under the version's prefix: still valid JSON of
          // the same size, so only the checksum tells it from what the Job wrote.
          const client = s3();
          try {
            const Key = `models/fraud/${trained}/metrics.json`;
            const original = Buffer.from(
              await (await client.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToByteArray(),
            );
            const text = original.toString('utf8');
            const digit = text.search(/[0-9]/);
            expect(digit, text).toBeGreaterThanOrEqual(0);
            const changed = Buffer.from(`${text.slice(0, digit)}${(Number(text[digit]) + 1) % 10}${text.slice(digit + 1)}`, 'utf8');
            expect(changed.length).toBe(original.length);
            await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: changed }));
            size = original.length;
            expected = createHash('sha256').update(original).digest('hex');
            tampered = createHash('sha256').update(changed).digest('hex');
          } finally {
            client.destroy();
          }
        });
        expect(done.code, done.stderr).toBe(10);
        expect(done.stderr).toContain(`s3://${bucket}/models/fraud/${version}/metrics.json does not match mlp-manifest.json (`);
        expect(done.stderr).toContain(
          `(${size} bytes, sha256 ${tampered.slice(0, 12)}…; expected ${size} bytes, sha256 ${expected.slice(0, 12)}…); nothing was registered.`,
        );
        expect(done.stderr).not.toContain(`registered fraud ${version}`);
        expect(await versions()).toEqual(before);
        expect(existsSync(path.join(project, '.mlp', 'models', 'fraud', version))).toBe(false);
        expect(readdirSync(path.join(project, '.mlp', 'staging'))).toEqual([]);
      },
      RUN_MS,
    );

    it(
      'a training command that fails exits 10 with the log tail and registers nothing; the Job is kept for inspection',
      async () => {
        clearHeldJobLog();
        const before = await versions();
        const { run, pod } = await startTraining(RUN_MS);
        // What a training that dies on bad data prints before exiting 1.
        writeHeldJobLog(['loading 10000 transactions', 'Traceback (most recent call last):', 'ValueError: Input contains NaN']);
        await endHeldPod(kubeConfig, pod, 1);
        const done = await run;
        expect(done.code, done.stderr).toBe(10);
        expect(done.stderr).toMatch(/The training command in Job fraud-train-[0-9a-f]{10} exited with code 1; nothing was registered/);
        expect(done.stderr).toContain('log: ValueError: Input contains NaN');
        expect(done.stderr).toContain(`kubectl -n ${HELD_NAMESPACE} logs job/`);
        expect(await versions()).toEqual(before);
        const job = (await jobs()).find((candidate) => candidate.metadata?.name === pod.metadata?.labels?.['batch.kubernetes.io/job-name']);
        expect(job?.status?.conditions?.find((condition) => condition.type === 'Failed')?.status).toBe('True');
      },
      RUN_MS,
    );

    it(
      'stops at training.timeoutSeconds: the Job runs out of time and mlp exits 10 saying so',
      async () => {
        clearHeldJobLog();
        writeConfig(['  timeoutSeconds: 5']);
        try {
          const run = await mlp('train', '--remote');
          expect(run.code, run.stderr).toBe(10);
          expect(run.stderr).toContain('ran out of time: training.timeoutSeconds (5 s) passed; nothing was registered');
        } finally {
          writeConfig();
        }
      },
      RUN_MS,
    );

    it(
      'Ctrl-C stops the training on the cluster too: the Job is deleted, exit 130, nothing registered',
      async () => {
        clearHeldJobLog();
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
        const pod = await waitForJobPod(kubeConfig, HELD_NAMESPACE, started, RUN_MS);
        const job = pod.metadata!.labels!['batch.kubernetes.io/job-name']!;
        child.kill('SIGINT');
        expect(await exited, stderr).toBe(130);
        expect(stderr).toContain(`Training was interrupted; Job ${job} was deleted and nothing was registered.`);
        const gone = await kubeConfig
          .makeApiClient(k8s.BatchV1Api)
          .readNamespacedJob({ name: job, namespace: HELD_NAMESPACE })
          .then((found) => found.metadata?.deletionTimestamp !== undefined)
          .catch((error: { code?: number }) => error.code === 404);
        expect(gone).toBe(true);
        expect(await versions()).toEqual(before);
      },
      RUN_MS,
    );

    it(
      'a training image the nodes cannot pull fails with exit 33 without waiting for the deadline, and the Job is deleted',
      async () => {
        // kwok answers ImagePullBackOff for an image reference containing mlp-test-imagepullbackoff (kwok-stages.yaml):
        // a project of that name pushes its training image to a repository of that name.
        const other = path.join(work, 'mlp-test-imagepullbackoff');
        cpSync(project, other, { recursive: true, filter: (source) => !source.includes(`${path.sep}.mlp`) });
        writeFileSync(
          path.join(other, 'mlp.yaml'),
          readFileSync(path.join(project, 'mlp.yaml'), 'utf8').replace('name: fraud', 'name: mlp-test-imagepullbackoff'),
        );
        const run = await spawnMlp(['train', '--remote'], { cwd: other, env: env() });
        expect(run.code, run.stderr).toBe(33);
        expect(run.stderr).toMatch(
          /Training Job mlp-test-imagepullbackoff-train-[0-9a-f]{10}: pod \S+: ImagePullBackOff for image 127\.0\.0\.1:\d+\/mlp-test-imagepullbackoff\/training\.job@sha256:/,
        );
        expect(run.stderr).toContain('was deleted, so it cannot train later unobserved');
      },
      RUN_MS,
    );

    it(
      "fails with exit 36 when the namespace's ResourceQuota refuses the training pod",
      async () => {
        const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
        await core.createNamespacedResourceQuota({
          namespace: HELD_NAMESPACE,
          body: { metadata: { name: 'no-more-pods' }, spec: { hard: { pods: '0' } } },
        });
        try {
          const run = await mlp('train', '--remote');
          expect(run.code, run.stderr).toBe(36);
          expect(run.stderr).toMatch(
            /Training Job fraud-train-[0-9a-f]{10}: the ResourceQuota of namespace mlp-hold-training refuses its pod/,
          );
          expect(run.stderr).toContain('exceeded quota: no-more-pods');
          // Left behind, it would train once the quota allows and upload a model nobody registers.
          const job = /Training Job (fraud-train-[0-9a-f]{10})/.exec(run.stderr)![1]!;
          expect(run.stderr).toContain(`Job ${job} was deleted, so it cannot train later unobserved`);
        } finally {
          await core.deleteNamespacedResourceQuota({ name: 'no-more-pods', namespace: HELD_NAMESPACE });
        }
      },
      RUN_MS,
    );
  },
);

/**
 * Runs the pod's container the way a kubelet would: its image, args with $(VAR) expanded from its env, its user and
 * read-only root with the emptyDirs as tmpfs, plus what reaches moto. Values go through an env file (0600), never argv.
 */
async function runJobContainer(pod: V1Pod, container: V1Container, work: string): Promise<{ code: number; lines: string[] }> {
  const variables = Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value ?? '']));
  const args = (container.args ?? []).map((arg) =>
    arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => variables[name] ?? whole),
  );
  const envFile = path.join(work, 'job.env');
  writeFileSync(
    envFile,
    Object.entries({ ...variables, ...motoEnv() })
      .map(([name, value]) => `${name}=${value}`)
      .join('\n'),
    { mode: 0o600 },
  );
  const user = pod.spec?.securityContext;
  const mounts = (container.volumeMounts ?? []).flatMap((mount) => [
    '--tmpfs',
    `${mount.mountPath}:uid=${user?.runAsUser ?? 0},gid=${user?.runAsGroup ?? 0}`,
  ]);
  const argv = [
    'run',
    '--rm',
    '--network',
    'host',
    '--read-only',
    ...mounts,
    '--user',
    `${user?.runAsUser}:${user?.runAsGroup}`,
    '--env-file',
    envFile,
    container.image!,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('docker', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, lines: output.split('\n').filter(Boolean) }));
  });
}
