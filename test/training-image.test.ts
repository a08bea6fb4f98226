/**
 * The training image on the real bench: `mlp build` builds it (templates/docker/train.Dockerfile) FROM the bench's
 * Python base image, then `docker run` starts it the way the Kubernetes Job does — the training command as args only,
 * UID 10001, a read-only root filesystem with /tmp and the output directory as writable volumes — and its entrypoint
 * (templates/docker/train-runtime/mlp_train_job.py) uploads the model to moto's S3. Credentials reach the container
 * through an --env-file, never through docker's argv.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client, type _Object } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench, motoEndpoint } from './support/bench.js';
import { startRecordingProxy } from './support/recording-proxy.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = path.join(ROOT, 'examples', 'fraud');
const FIXTURE_MODEL = path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model');
const BUCKET = 'mlp-test-artifacts';
const OUTPUT_DIR = '/opt/mlp/output';
// A cold build installs the example's requirements (numpy, scikit-learn, scipy, onnx) inside the build.
const BUILD_TIMEOUT_MS = 15 * 60_000;
const RUN_TIMEOUT_MS = 5 * 60_000;

interface ContainerRun {
  code: number | null;
  output: string;
}

describeWithBench(['docker', 'moto', 'baseImage', 'pythonImage', 'buildx'], 'the training image on the real bench', () => {
  let work: string;
  let project: string;
  let image: string;
  let s3: S3Client;
  // A recognisable dummy secret (moto accepts any), so a leak into the container's output would show.
  const secret = `mlp-test-secret-${randomBytes(8).toString('hex')}`;
  const name = `t${Date.now().toString(36)}`;
  let runs = 0;

  /** The Job's environment for one model version under `prefix`; without a prefix, no MLP_ARTIFACTS_URI. */
  function jobEnv(prefix: string | undefined, overrides: Record<string, string> = {}): Record<string, string> {
    return {
      ...(prefix === undefined ? {} : { MLP_ARTIFACTS_URI: `s3://${BUCKET}/${prefix}` }),
      MLP_MODEL_NAME: name,
      MLP_MODEL_VERSION: prefix?.split('/').at(-2) ?? 'unversioned',
      HOME: '/tmp',
      AWS_ENDPOINT_URL: motoEndpoint(),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...overrides,
    };
  }

  /** A fresh version prefix under the bucket, e.g. models/<name>/20261201T101500Z-3/. */
  function versionPrefix(): string {
    runs += 1;
    return `models/${name}/${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-${runs}/`;
  }

  /**
   * `docker run` as the Job runs the image. The environment goes through a 0600 --env-file, so no credential is in
   * docker's argv; `onOutput` sees the output as it comes (to send a signal once the command is running).
   */
  function runJob(
    args: string[],
    env: Record<string, string>,
    options: { name?: string; terminationLog?: string; onOutput?: (output: string) => void } = {},
  ): Promise<ContainerRun> {
    const envFile = path.join(work, `job-${(runs += 1)}.env`);
    writeFileSync(
      envFile,
      Object.entries(env)
        .map(([key, value]) => `${key}=${value}\n`)
        .join(''),
      { mode: 0o600 },
    );
    const dockerArgs = [
      'run',
      '--rm',
      '--network',
      'host',
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--tmpfs',
      `${OUTPUT_DIR}:uid=10001,gid=10001`,
      '--user',
      '10001:10001',
      '--env-file',
      envFile,
      ...(options.name ? ['--name', options.name] : []),
      ...(options.terminationLog ? ['-v', `${options.terminationLog}:/dev/termination-log`] : []),
      image,
      ...args,
    ];
    expect(dockerArgs.join(' ')).not.toContain(secret);
    return new Promise((resolve, reject) => {
      const child = spawn('docker', dockerArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const collect = (chunk: Buffer): void => {
        output += chunk.toString();
        options.onOutput?.(output);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', reject);
      child.on('close', (code) => {
        rmSync(envFile, { force: true });
        resolve({ code, output });
      });
    });
  }

  /** A file the container's UID can write, mounted as Kubernetes mounts terminationMessagePath. */
  function terminationLog(): string {
    const file = path.join(work, `termination-${(runs += 1)}.log`);
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    return file;
  }

  async function objects(prefix: string): Promise<_Object[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return listed.Contents ?? [];
  }

  async function download(key: string): Promise<Buffer> {
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-training-image-'));
    project = path.join(work, name);
    // The training code in its own workdir; the serving image (mlp build makes it too) serves the fixture model.
    mkdirSync(path.join(project, 'train', '.mlp-train'), { recursive: true });
    for (const file of ['train.py', 'requirements.txt']) cpSync(path.join(EXAMPLE, file), path.join(project, 'train', file));
    // A user directory with the runner's reserved name: it must neither reach the image nor replace the runner.
    writeFileSync(path.join(project, 'train', '.mlp-train', 'mlp_train_job.py'), 'raise SystemExit("not the runner")\n');
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      [
        'apiVersion: mlp/v1',
        `name: ${name}`,
        'build:',
        `  baseImage: ${benchStatus().baseImage.image}`,
        `  pythonBaseImage: ${benchStatus().pythonImage.image}`,
        'training:',
        '  command: python train.py --out ${MLP_OUTPUT_DIR}',
        '  workdir: train',
        '  requirements: requirements.txt',
        `  remote: { enabled: true, artifacts: s3://${BUCKET}/models }`,
        'services:',
        '  - name: api',
        '    model: { source: dir, path: model }',
        '',
      ].join('\n'),
    );

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      CI: 'true',
      // A TLS-intercepting proxy's CA (this bench's network has one): pip in the build gets it as the BuildKit secret.
      ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    };
    const built = await spawnMlp(['build', '--json'], { cwd: project, env });
    expect(built.code, built.stderr).toBe(0);
    const record = JSON.parse(readFileSync(path.join(project, '.mlp', 'builds', 'training.job.json'), 'utf8')) as {
      repository: string;
      tags: string[];
      files: Array<{ path: string }>;
    };
    image = `${record.repository}:${record.tags[0]}`;
    // The runner is an input of the content hash; the user's .mlp-train directory is not in the context at all.
    const paths = record.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining(['Dockerfile', '.mlp-train/mlp_train_job.py', '.mlp-train/requirements.txt', 'train.py', 'requirements.txt']),
    );
    expect(paths.filter((file) => file.startsWith('.mlp-train/'))).toHaveLength(2);
    expect(
      readFileSync(path.join(project, '.mlp', 'build', 'training.job', 'context', '.mlp-train', 'mlp_train_job.py'), 'utf8'),
    ).toContain('training-job runner');

    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: motoEndpoint(),
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((error: { name?: string }) => {
      if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
    });
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    s3?.destroy();
    // The images this project built (its name is unique to this run); their layers stay cached for the next run.
    const built = execFileSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${name}/*`], {
      encoding: 'utf8',
    });
    for (const reference of built.split('\n').filter(Boolean)) execFileSync('docker', ['image', 'rm', reference], { stdio: 'ignore' });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(
    "is an image whose entrypoint runs the args in /opt/mlp/train as UID 10001, with the user's virtualenv first and without mlp's files",
    async () => {
      const [inspected] = JSON.parse(execFileSync('docker', ['image', 'inspect', image], { encoding: 'utf8' }));
      expect(inspected.Config.User).toBe('10001:10001');
      expect(inspected.Config.WorkingDir).toBe('/opt/mlp/train');
      expect(inspected.Config.Entrypoint).toEqual(['/opt/mlp/runner/bin/python', '-I', '/opt/mlp/runner/mlp_train_job.py']);
      expect(inspected.Config.Cmd).toBeNull();
      expect(inspected.Config.Labels['org.opencontainers.image.title']).toBe('mlp training');
      // The proxy CA went in as a BuildKit secret: it is nowhere in the image's history.
      expect(execFileSync('docker', ['history', '--no-trunc', image], { encoding: 'utf8' })).not.toMatch(
        /BEGIN CERTIFICATE|ca-certificates\.crt/,
      );

      const listing = await runJob(['sh', '-c', 'id -u; pwd; ls -A; command -v python; python -c "import boto3"'], jobEnv(undefined));
      expect(listing.code, listing.output).toBe(1);
      const [uid, cwd, ...rest] = listing.output.trim().split('\n');
      expect([uid, cwd]).toEqual(['10001', '/opt/mlp/train']);
      expect(rest).toContain('train.py');
      expect(rest).not.toContain('.mlp-train');
      expect(rest).not.toContain('Dockerfile');
      expect(rest).toContain('/opt/mlp/venv/bin/python');
      // boto3 lives in the runner's own virtualenv, which the training command never sees.
      expect(listing.output).toContain("ModuleNotFoundError: No module named 'boto3'");
      expect(listing.output).toContain('mlp: the training command exited 1; nothing uploaded');
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'trains the example and uploads every file of MLP_OUTPUT_DIR, then mlp-manifest.json last, with sizes and SHA-256 that match',
    async () => {
      const prefix = versionPrefix();
      const log = terminationLog();
      // The container reaches moto through a proxy that notes the order of the requests: moto's LastModified has whole
      // seconds, so a manifest written first would look no older than the files.
      const proxy = await startRecordingProxy(motoEndpoint());
      const env = jobEnv(prefix, { AWS_ENDPOINT_URL: proxy.endpoint });
      const run = await runJob(['python', 'train.py', '--out', OUTPUT_DIR], env, { terminationLog: log }).finally(() => proxy.close());
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain('[train] training GradientBoostingClassifier');
      expect(run.output).toMatch(new RegExp(`mlp: uploaded 3 files \\([\\d.]+ kB\\) to s3://${BUCKET}/${prefix}`));
      expect(run.output).not.toContain(secret);
      expect(readFileSync(log, 'utf8')).toMatch(/^mlp: uploaded 3 files .* to s3:\/\//);

      const stored = await objects(prefix);
      expect(stored.map((object) => object.Key!.slice(prefix.length)).sort()).toEqual([
        'metadata.json',
        'metrics.json',
        'mlp-manifest.json',
        'model.onnx',
      ]);
      const manifest = JSON.parse((await download(`${prefix}mlp-manifest.json`)).toString('utf8'));
      expect(manifest).toMatchObject({ format: 1, model: name, version: prefix.split('/').at(-2) });
      expect(Object.keys(manifest).sort()).toEqual(['files', 'format', 'model', 'version']);
      expect(manifest.files.map((file: { path: string }) => file.path)).toEqual(['metadata.json', 'metrics.json', 'model.onnx']);
      for (const file of manifest.files as Array<{ path: string; size: number; sha256: string }>) {
        expect(Object.keys(file).sort()).toEqual(['path', 'sha256', 'size']);
        const body = await download(`${prefix}${file.path}`);
        expect({ path: file.path, size: body.length, sha256: createHash('sha256').update(body).digest('hex') }).toEqual(file);
      }
      expect(JSON.parse((await download(`${prefix}metadata.json`)).toString('utf8'))).toMatchObject({
        model_name: name,
        model_version: manifest.version,
      });
      // Written last: the manifest's PUT was sent only after every other file's PUT had been answered with 200.
      const keyPath = `/${BUCKET}/${prefix}`;
      const puts = proxy.requests.filter((request) => request.method === 'PUT' && request.path.startsWith(keyPath));
      expect(puts.map((request) => request.path.slice(keyPath.length)).sort()).toEqual([
        'metadata.json',
        'metrics.json',
        'mlp-manifest.json',
        'model.onnx',
      ]);
      const manifestPut = puts.find((request) => request.path.endsWith('/mlp-manifest.json'))!;
      for (const put of puts.filter((request) => request !== manifestPut)) {
        const answeredBeforeManifest = put.answered !== undefined && put.answered < manifestPut.arrived;
        expect({ path: put.path, status: put.status, answeredBeforeManifest }).toEqual({
          path: put.path,
          status: 200,
          answeredBeforeManifest: true,
        });
      }
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "exits with the training command's own status when it fails, and uploads nothing",
    async () => {
      const prefix = versionPrefix();
      const log = terminationLog();
      const run = await runJob(['python', '-c', 'import sys; sys.exit(7)'], jobEnv(prefix), { terminationLog: log });
      expect(run.code, run.output).toBe(7);
      expect(run.output).toContain('mlp: the training command exited 7; nothing uploaded');
      expect(readFileSync(log, 'utf8')).toBe('mlp: the training command exited 7; nothing uploaded\n');
      expect(await objects(prefix)).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'exits 3 and says so when the command succeeds without writing model.onnx, and uploads nothing',
    async () => {
      const prefix = versionPrefix();
      const run = await runJob(['python', '-c', `open('${OUTPUT_DIR}/metrics.json', 'w').write('{}')`], jobEnv(prefix));
      expect(run.code, run.output).toBe(3);
      expect(run.output).toContain(
        `mlp: the training command succeeded but wrote no model.onnx to ${OUTPUT_DIR} (it holds metrics.json); nothing uploaded`,
      );
      expect(await objects(prefix)).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'without MLP_ARTIFACTS_URI, exits 0 after the command and uploads nothing',
    async () => {
      const before = (await objects('')).length;
      const run = await runJob(['python', '-c', `open('${OUTPUT_DIR}/model.onnx', 'wb').write(b'onnx')`], jobEnv(undefined));
      expect(run.code, run.output).toBe(0);
      expect(run.output).toContain(
        `mlp: the training command succeeded; MLP_ARTIFACTS_URI is not set, so nothing in ${OUTPUT_DIR} is uploaded`,
      );
      expect((await objects('')).length).toBe(before);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'exits 4 with the S3 error, and without the credentials, when the upload fails',
    async () => {
      const missing = `mlp-test-missing-${randomBytes(4).toString('hex')}`;
      const log = terminationLog();
      const run = await runJob(
        ['python', '-c', `open('${OUTPUT_DIR}/model.onnx', 'wb').write(b'onnx')`],
        jobEnv('models/x/1/', { MLP_ARTIFACTS_URI: `s3://${missing}/models/x/1/` }),
        { terminationLog: log },
      );
      expect(run.code, run.output).toBe(4);
      expect(run.output).toContain(`mlp: upload to s3://${missing}/models/x/1/model.onnx failed: An error occurred (NoSuchBucket)`);
      expect(readFileSync(log, 'utf8')).toContain('(NoSuchBucket)');
      expect(run.output).not.toContain(secret);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'forwards SIGTERM to the training command and uploads nothing, even when the command then exits 0',
    async () => {
      const prefix = versionPrefix();
      const container = `mlp-training-image-${name}-term`;
      let signalled = false;
      const script = [
        'import signal, sys, time',
        "signal.signal(signal.SIGTERM, lambda *_: (print('child: got SIGTERM', flush=True), sys.exit(0)))",
        `open('${OUTPUT_DIR}/model.onnx', 'wb').write(b'half')`,
        "print('child: running', flush=True)",
        'time.sleep(60)',
      ].join('\n');
      const run = await runJob(['python', '-c', script], jobEnv(prefix), {
        name: container,
        onOutput: (output) => {
          if (signalled || !output.includes('child: running')) return;
          signalled = true;
          execFileSync('docker', ['kill', '--signal', 'TERM', container]);
        },
      });
      expect(run.code, run.output).toBe(143);
      expect(run.output).toContain('child: got SIGTERM');
      expect(run.output).toContain('mlp: the training command was stopped by SIGTERM and exited 0; nothing uploaded');
      expect(await objects(prefix)).toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );
});
