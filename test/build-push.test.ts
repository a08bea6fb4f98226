/**
 * mlp build and mlp push on the real bench: the Docker engine (with buildx), the local registry, moto's ECR and
 * EKS, and the local Node base image. The built bin/mlp runs as a child process, as a user runs it; a `docker`
 * wrapper first on PATH records every docker command mlp runs (and then runs the real docker).
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { benchStatus, describeWithBench, motoChildEnv, motoEndpoint } from './support/bench.js';
import { startRecordingProxy } from './support/recording-proxy.js';
import { spawnMlp, type ProcessRun } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE_MODEL = path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model');
const MAX_IMAGE_BYTES = 300 * 1024 * 1024;

function runMlp(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<ProcessRun> {
  return spawnMlp(args, { cwd: options.cwd, env: options.env ?? baseEnv() });
}

let work: string;
let shimDir: string;
let dockerLog: string;

/** PATH with the recording docker wrapper first; CI=true so output is plain lines. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${shimDir}:${process.env.PATH}`,
    HOME: process.env.HOME ?? '/root',
    CI: 'true',
    MLP_DOCKER_LOG: dockerLog,
    // A TLS-intercepting proxy's CA (this bench's network has one): the build's npm ci gets it as a BuildKit secret.
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    ...extra,
  };
}

function dockerCommands(): string[] {
  return existsSync(dockerLog) ? readFileSync(dockerLog, 'utf8').trim().split('\n').filter(Boolean) : [];
}

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** A project serving the fixture model, committed to git so the image gets a revision. */
function makeProject(name: string, extra = ''): string {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  cpSync(FIXTURE_MODEL, path.join(dir, 'model'), { recursive: true });
  writeFileSync(
    path.join(dir, 'mlp.yaml'),
    [
      'apiVersion: mlp/v1',
      `name: ${name}`,
      'build:',
      `  baseImage: ${benchStatus().baseImage.image}`,
      'services:',
      '  - name: api',
      '    model: { source: dir, path: model }',
      extra,
    ].join('\n'),
  );
  execFileSync('git', ['init', '-q'], { cwd: dir });
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qam', 'init', '--allow-empty'], { cwd: dir });
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'project'], { cwd: dir });
  return dir;
}

function buildRecord(dir: string, service = 'api'): Record<string, any> {
  return JSON.parse(readFileSync(path.join(dir, '.mlp', 'builds', `${service}.json`), 'utf8'));
}

async function waitForReady(url: string): Promise<number> {
  for (let i = 0; i < 120; i += 1) {
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return status;
    await new Promise((r) => setTimeout(r, 250));
  }
  return 0;
}

interface DockerCliFile {
  file: string;
  version: string;
  major: number;
}

/**
 * Every docker CLI on this machine with its client version, by real path: the bench's is Debian's docker.io (20.10,
 * BuildKit built in) at /usr/bin/docker; a newer one (23+, where BuildKit is the buildx plugin) may come first on PATH.
 */
function dockerClis(): DockerCliFile[] {
  const found = execFileSync('sh', ['-c', 'which -a docker; ls /usr/bin/docker /usr/local/bin/docker 2>/dev/null; true'], {
    encoding: 'utf8',
  });
  const files = [
    ...new Set(
      found
        .split('\n')
        .filter(Boolean)
        .map((file) => realpathSync(file)),
    ),
  ];
  return files.map((file) => {
    const version = execFileSync(file, ['version', '--format', '{{.Client.Version}}'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return { file, version, major: Number(version.split('.')[0]) };
  });
}

function describeClis(): string {
  return (
    dockerClis()
      .map((cli) => `${cli.file} ${cli.version}`)
      .join(', ') || 'none'
  );
}

/** A DOCKER_CONFIG without cli-plugins, checked: `file` has no buildx with it (no system-wide plugin either). */
function noBuildxConfig(file: string): string {
  const config = mkdtempSync(path.join(work, 'docker-config-'));
  let answered = true;
  try {
    execFileSync(file, ['buildx', 'version'], { env: { ...process.env, DOCKER_CONFIG: config }, stdio: 'ignore' });
  } catch {
    answered = false;
  }
  expect(answered, `${file} finds a buildx plugin even with an empty DOCKER_CONFIG (a system-wide cli-plugins directory)`).toBe(false);
  return config;
}

/** A wrapper for MLP_DOCKER that records each command, like the shim on PATH, and runs `file`. */
function recordingCli(file: string): string {
  const wrapper = path.join(shimDir, `docker${file.replace(/[^A-Za-z0-9]+/g, '-')}`);
  writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> "$MLP_DOCKER_LOG"\nexec ${file} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

// A cold first build downloads onnxruntime-node (~60 MB) inside the build; later ones hit the layer cache.
const BUILD_TIMEOUT_MS = 10 * 60_000;

describeWithBench(['docker', 'registry', 'moto', 'baseImage', 'buildx'], 'mlp build and mlp push on the real bench', () => {
  let project: string;
  const containers: string[] = [];
  const registry = (): string => benchStatus().registry.url!;

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-build-'));
    shimDir = path.join(work, 'bin');
    dockerLog = path.join(work, 'docker-commands.log');
    mkdirSync(shimDir);
    const realDocker = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(shimDir, 'docker'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "$MLP_DOCKER_LOG"\nexec ${realDocker} "$@"\n`);
    chmodSync(path.join(shimDir, 'docker'), 0o755);
    project = makeProject(`b${Date.now().toString(36)}`);
  });

  afterAll(() => {
    for (const id of containers) execFileSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'builds the serving image on the real engine; it runs as a non-root user and answers /ready and /predict',
    async () => {
      const run = await runMlp(['build', '--json'], { cwd: project, env: baseEnv() });
      expect(run.code, run.stderr).toBe(0);
      const [image] = JSON.parse(run.stdout).images;
      expect(image).toMatchObject({ service: 'api', action: 'built', platform: 'linux/amd64' });
      expect(image.reasons).toEqual(['no earlier build of this service']);
      expect(dockerCommands().some((line) => line.startsWith('buildx build --load'))).toBe(true);

      const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: project, encoding: 'utf8' }).trim();
      const [inspected] = JSON.parse(docker('image', 'inspect', image.image));
      expect(inspected.Config.User).toBe('10001:10001');
      expect(inspected.Config.Healthcheck.Test.join(' ')).toContain('/ready');
      expect(inspected.Config.Labels['org.opencontainers.image.revision']).toBe(sha);
      expect(inspected.Config.Labels['org.opencontainers.image.version']).toBe('model');
      expect(inspected.Config.Labels['dev.mlp.content-hash']).toBe(image.contentHash);
      expect(inspected.Size).toBeLessThan(MAX_IMAGE_BYTES);
      // The git tag names the same image as the content tag.
      expect(docker('image', 'inspect', '--format', '{{.Id}}', `${project.split('/').pop()}/api:git-${sha.slice(0, 12)}`)).toBe(
        inspected.Id,
      );
      // The proxy CA went in as a BuildKit secret: it is nowhere in the image's history.
      expect(docker('history', '--no-trunc', image.image)).not.toMatch(/BEGIN CERTIFICATE|ca-certificates\.crt|NODE_EXTRA_CA_CERTS=\//);

      const id = docker('run', '-d', '-p', '127.0.0.1::8080', image.image);
      containers.push(id);
      const port = docker('port', id, '8080/tcp').split(':').pop();
      expect(await waitForReady(`http://127.0.0.1:${port}/ready`)).toBe(200);
      const features = Array.from({ length: 20 }, (_, i) => i / 10);
      const predicted = await fetch(`http://127.0.0.1:${port}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ features, request_id: 'image-test' }),
      });
      expect(predicted.status).toBe(200);
      expect(await predicted.json()).toMatchObject({ request_id: 'image-test' });
      expect(docker('exec', id, 'id', '-u')).toBe('10001');
    },
    BUILD_TIMEOUT_MS,
  );

  it('does not run docker build again when nothing changed', async () => {
    rmSync(dockerLog, { force: true });
    const run = await runMlp(['build', '--json'], { cwd: project, env: baseEnv() });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).images[0]).toMatchObject({ action: 'skipped', reasons: ['exists locally'] });
    const ran = dockerCommands();
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.filter((line) => /^(buildx )?build /.test(line))).toEqual([]);
  });

  it('rebuilds after a model change and says which input changed', async () => {
    const other = makeProject(`m${Date.now().toString(36)}`);
    expect((await runMlp(['build'], { cwd: other, env: baseEnv() })).code).toBe(0);
    const metadataFile = path.join(other, 'model', 'metadata.json');
    writeFileSync(metadataFile, JSON.stringify({ ...JSON.parse(readFileSync(metadataFile, 'utf8')), description: 'retrained' }));
    writeFileSync(path.join(other, 'model', 'metrics.json'), JSON.stringify({ accuracy: 0.9 }));
    const run = await runMlp(['build', '--json'], { cwd: other, env: baseEnv() });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).images[0]).toMatchObject({
      action: 'built',
      reasons: ['model/metadata.json changed', 'model/metrics.json added'],
    });
    expect(run.stderr).toContain('model/metadata.json changed, model/metrics.json added');
  });

  it("pushes to the local registry with a token from moto's ECR, creates the repository, and the registry serves the digest", async () => {
    // Through a recording proxy in front of moto: ECR reports AES256 for a repository created without any encryption
    // setting, so only the CreateRepository request itself shows that mlp asks for it.
    const proxy = await startRecordingProxy(motoEndpoint(), { keepBodies: true });
    onTestFinished(() => proxy.close());
    const env: Record<string, string> = { ...motoChildEnv(baseEnv()), GITHUB_ACTIONS: 'true', AWS_ENDPOINT_URL: proxy.endpoint };
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      `${readFileSync(path.join(project, 'mlp.yaml'), 'utf8')}\naws:\n  accountId: "123456789012"\nregistry:\n  type: ecr\n  url: ${registry()}\n  keepImages: 7\n`,
    );
    rmSync(dockerLog, { force: true });
    const run = await runMlp(['push', '--json'], { cwd: project, env });
    expect(run.code, run.stderr).toBe(0);
    const [pushed] = JSON.parse(run.stdout).images;
    const name = project.split('/').pop()!;
    expect(pushed).toMatchObject({ service: 'api', action: 'pushed', repository: `${registry()}/${name}/api` });
    expect(pushed.reference).toBe(`${registry()}/${name}/api@${pushed.digest}`);
    expect(buildRecord(project).pushed).toMatchObject({ digest: pushed.digest, reference: pushed.reference });

    // The registry serves exactly the recorded digest.
    const manifest = await fetch(`http://${registry()}/v2/${name}/api/manifests/${pushed.digest}`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(pushed.digest);

    // moto's ECR has the repository, with scan on push and the lifecycle policy.
    const ecr = await import('@aws-sdk/client-ecr');
    const client = new ecr.ECRClient({
      region: 'us-east-1',
      endpoint: motoEndpoint(),
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const repo = (await client.send(new ecr.DescribeRepositoriesCommand({ repositoryNames: [`${name}/api`] }))).repositories![0]!;
    expect(repo.imageScanningConfiguration?.scanOnPush).toBe(true);
    expect(repo.encryptionConfiguration).toEqual({ encryptionType: 'AES256' });
    const creates = proxy.requests.filter((request) => request.target?.endsWith('.CreateRepository'));
    expect(creates.map((request) => JSON.parse(request.body!))).toEqual([
      expect.objectContaining({
        repositoryName: `${name}/api`,
        encryptionConfiguration: { encryptionType: 'AES256' },
        imageScanningConfiguration: { scanOnPush: true },
      }),
    ]);
    const policy = JSON.parse(
      (await client.send(new ecr.GetLifecyclePolicyCommand({ repositoryName: `${name}/api` }))).lifecyclePolicyText!,
    );
    expect(policy.rules.map((rule: any) => rule.selection.countNumber)).toEqual([90, 7]);

    // The token was used to log in, through stdin: never in argv, output or a lingering Docker config.
    const token = (await client.send(new ecr.GetAuthorizationTokenCommand({}))).authorizationData![0]!.authorizationToken!;
    const password = Buffer.from(token, 'base64').toString().split(':')[1]!;
    client.destroy();
    const ran = dockerCommands();
    // moto's tokens carry an expiry in the past, so mlp fetched a fresh one before pushing instead of failing.
    expect(ran.filter((line) => line.includes(`login --username AWS --password-stdin ${registry()}`))).toHaveLength(2);
    expect(run.stderr).toMatch(/the ECR token expired at .*; fetching a new one/);
    expect(ran.join('\n')).not.toContain(password);
    expect(run.stdout).not.toContain(password);
    // On GitHub Actions the only place it appears is the mask command that hides it.
    expect(run.stderr.split('\n').filter((line) => line.includes(password))).toEqual([`::add-mask::${password}`]);
    expect(readdirSync(tmpdir()).filter((entry) => entry.startsWith('mlp-docker-config-'))).toEqual([]);
  });

  it('does not push again when the registry already has the content tag', async () => {
    const run = await runMlp(['push', '--json'], { cwd: project, env: motoChildEnv(baseEnv()) });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).images[0]).toMatchObject({ action: 'skipped', attempts: 0, digest: buildRecord(project).pushed.digest });
  });

  it('does not rebuild an image the registry already has under its content tag', async () => {
    const dir = makeProject(`r${Date.now().toString(36)}`, `registry:\n  type: generic\n  url: ${registry()}/shared\n`);
    const built = JSON.parse((await runMlp(['build', '--json'], { cwd: dir, env: baseEnv() })).stdout).images[0];
    expect((await runMlp(['push'], { cwd: dir, env: baseEnv() })).code).toBe(0);
    // Another machine (or a CI runner) with an empty engine: the image is only in the registry.
    docker('image', 'rm', built.image);
    for (const tag of built.tags.slice(1)) docker('image', 'rm', `${built.image.split(':')[0]}:${tag}`);
    rmSync(dockerLog, { force: true });
    const run = await runMlp(['build', '--json'], { cwd: dir, env: baseEnv() });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).images[0]).toMatchObject({ action: 'skipped', reasons: [`exists in ${registry()}`] });
    expect(dockerCommands().filter((line) => /^(buildx )?build /.test(line))).toEqual([]);
  });

  it('retries an unreachable registry with backoff, then fails with exit 21 and records nothing', async () => {
    const dir = makeProject(`u${Date.now().toString(36)}`, 'registry:\n  type: generic\n  url: 127.0.0.1:9\n');
    expect((await runMlp(['build'], { cwd: dir, env: baseEnv() })).code).toBe(0);
    const run = await runMlp(['push'], { cwd: dir, env: baseEnv({ MLP_PUSH_RETRY_DELAY_MS: '20' }) });
    expect(run.code).toBe(21);
    expect(run.stderr).toMatch(/retrying in .* \(1\/3\)/);
    expect(run.stderr).toMatch(/failed after 4 attempts: .*connection refused/);
    expect(buildRecord(dir).pushed).toBeUndefined();
  });

  it('shows the failing Dockerfile step and its log, with exit 20', async () => {
    const dir = makeProject(`f${Date.now().toString(36)}`);
    writeFileSync(
      path.join(dir, 'mlp.yaml'),
      readFileSync(path.join(dir, 'mlp.yaml'), 'utf8').replace('build:\n', 'build:\n  dockerfile: Dockerfile.broken\n'),
    );
    writeFileSync(path.join(dir, 'Dockerfile.broken'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo "checking the model" && exit 3\n');
    const run = await runMlp(['build'], { cwd: dir, env: baseEnv() });
    expect(run.code).toBe(20);
    expect(run.stderr).toContain('api: docker build failed at [2/2] RUN echo "checking the model" && exit 3');
    expect(run.stderr).toContain('checking the model');
  });

  it(
    "without the buildx plugin, a CLI with BuildKit built in (20.10, Debian's docker.io) builds with docker build and BuildKit",
    async () => {
      const cli = dockerClis().find((candidate) => candidate.major === 20);
      expect(cli, `the bench has Debian's docker.io 20.10 CLI; this machine has ${describeClis()}`).toBeDefined();
      const config = noBuildxConfig(cli!.file);
      const dir = makeProject(`x${Date.now().toString(36)}`);
      rmSync(dockerLog, { force: true });
      const run = await runMlp(['build', '--json', '--verbose'], {
        cwd: dir,
        env: baseEnv({ DOCKER_CONFIG: config, MLP_DOCKER: recordingCli(cli!.file) }),
      });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).images[0]).toMatchObject({ action: 'built' });
      expect(run.stderr).toContain('with docker build (BuildKit; no buildx plugin)');
      const builds = dockerCommands().filter((line) => /^(buildx )?build /.test(line));
      expect(builds).toHaveLength(1);
      expect(builds[0]).toMatch(/^build --progress=plain /);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'without the buildx plugin, a CLI whose BuildKit is the plugin (23 or later) exits 6 and says what to install',
    async () => {
      const cli = dockerClis().find((candidate) => candidate.major >= 23);
      expect(cli, `a docker CLI 23 or later on this machine (it has ${describeClis()})`).toBeDefined();
      const config = noBuildxConfig(cli!.file);
      const dir = makeProject(`y${Date.now().toString(36)}`);
      rmSync(dockerLog, { force: true });
      const run = await runMlp(['build'], { cwd: dir, env: baseEnv({ DOCKER_CONFIG: config, MLP_DOCKER: recordingCli(cli!.file) }) });
      expect(run.code, run.stderr).toBe(6);
      expect(run.stderr).toContain('This docker CLI needs the buildx plugin to build with BuildKit, and it is not installed.');
      expect(run.stderr).toContain('apt install docker-buildx-plugin');
      // It did try: a plain docker build, which this CLI refuses without the plugin; nothing was recorded as built.
      expect(
        dockerCommands()
          .filter((line) => /^(buildx )?build /.test(line))
          .map((line) => line.split(' ')[0]),
      ).toEqual(['build']);
      expect(existsSync(path.join(dir, '.mlp', 'builds', 'api.json'))).toBe(false);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'builds a SageMaker proxy image with only metadata.json as its model, and asks for that file when it is missing',
    async () => {
      const dir = makeProject(`s${Date.now().toString(36)}`);
      const yaml = readFileSync(path.join(dir, 'mlp.yaml'), 'utf8');
      writeFileSync(
        path.join(dir, 'mlp.yaml'),
        yaml.replace('model: { source: dir, path: model }', 'model: { source: sagemaker, endpoint: fraud-prod }'),
      );
      const missing = await runMlp(['build'], { cwd: dir, env: baseEnv() });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('set services[].model.metadata to that file');

      writeFileSync(
        path.join(dir, 'mlp.yaml'),
        yaml.replace(
          'model: { source: dir, path: model }',
          'model: { source: sagemaker, endpoint: fraud-prod, metadata: model/metadata.json }',
        ),
      );
      const run = await runMlp(['build', '--json'], { cwd: dir, env: baseEnv() });
      expect(run.code, run.stderr).toBe(0);
      const image = JSON.parse(run.stdout).images[0].image as string;
      expect(docker('run', '--rm', '--entrypoint', 'ls', image, '/opt/mlp/model')).toBe('metadata.json');
      // It starts in SageMaker mode (the endpoint itself is not reachable from here): liveness answers.
      const id = docker('run', '-d', '-p', '127.0.0.1::8080', '-e', 'SAGEMAKER_ENDPOINT=fraud-prod', '-e', 'AWS_REGION=us-east-1', image);
      containers.push(id);
      const port = docker('port', id, '8080/tcp').split(':').pop();
      let health = 0;
      for (let i = 0; i < 80 && health !== 200; i += 1) {
        health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status,
          () => 0,
        );
        if (health !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      expect(health).toBe(200);
    },
    BUILD_TIMEOUT_MS,
  );

  it('without an engine, exits 6 and says how to start one', async () => {
    const run = await runMlp(['build'], { cwd: project, env: baseEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }) });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('No Docker engine answers');
    expect(run.stderr).toContain('bash test/bench/docker.sh up');
  });

  it('refuses to push an amd64 image for arm64 nodes (moto EKS nodegroup AL2_ARM_64)', async () => {
    const env = motoChildEnv(baseEnv());
    const eks = await import('@aws-sdk/client-eks');
    const client = new eks.EKSClient({
      region: 'us-east-1',
      endpoint: env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const cluster = `c${Date.now().toString(36)}`;
    const role = 'arn:aws:iam::123456789012:role/eks';
    await client.send(new eks.CreateClusterCommand({ name: cluster, roleArn: role, resourcesVpcConfig: { subnetIds: ['subnet-1'] } }));
    await client.send(
      new eks.CreateNodegroupCommand({
        clusterName: cluster,
        nodegroupName: 'arm',
        nodeRole: role,
        subnets: ['subnet-1'],
        amiType: 'AL2_ARM_64',
      }),
    );
    client.destroy();
    const dir = makeProject(
      `p${Date.now().toString(36)}`,
      `registry:\n  type: generic\n  url: ${registry()}\ncluster:\n  name: ${cluster}\n  nodegroup: arm\n`,
    );
    expect((await runMlp(['build', '--platform', 'linux/amd64'], { cwd: dir, env })).code).toBe(0);
    writeFileSync(path.join(dir, 'mlp.yaml'), `${readFileSync(path.join(dir, 'mlp.yaml'), 'utf8')}deploy:\n  target: eks\n`);
    rmSync(dockerLog, { force: true });
    const refused = await runMlp(['push'], { cwd: dir, env });
    expect(refused.code).toBe(20);
    expect(refused.stderr).toContain('is linux/amd64, but the nodes run linux/arm64 (nodegroup arm (AL2_ARM_64))');
    expect(refused.stderr).toContain('mlp build --service api --platform linux/arm64');
    expect(dockerCommands().filter((line) => line.includes(' push '))).toEqual([]);
  });
});

/**
 * A second moto server that enforces IAM (moto's INITIAL_NO_AUTH_ACTION_COUNT: the first 4 calls set up a user
 * whose policy lacks ecr:CreateRepository; every later call is authorised against it).
 */
describeWithBench(['docker', 'registry', 'moto', 'baseImage', 'buildx'], 'mlp push with an IAM policy that lacks a permission', () => {
  let server: ReturnType<typeof spawn> | undefined;
  let endpoint: string;
  let keys: { AccessKeyId: string; SecretAccessKey: string };

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-iam-'));
    shimDir = path.join(work, 'bin');
    dockerLog = path.join(work, 'docker-commands.log');
    mkdirSync(shimDir);
    const motoServer = path.join(
      process.env.MLP_BENCH_CACHE ?? path.join(process.env.HOME ?? '/root', '.cache', 'mlp-bench'),
      'moto-venv',
      'bin',
      'moto_server',
    );
    const port = 5600 + Math.floor(Math.random() * 300);
    endpoint = `http://127.0.0.1:${port}`;
    server = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], {
      env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '4' },
      stdio: 'ignore',
    });
    for (
      let i = 0;
      i < 60 &&
      (await fetch(`${endpoint}/moto-api/`).then(
        () => false,
        () => true,
      ));
      i += 1
    )
      await new Promise((r) => setTimeout(r, 250));
    const iam = await import('@aws-sdk/client-iam');
    const client = new iam.IAMClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await client.send(new iam.CreateUserCommand({ UserName: 'ci' }));
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['ecr:DescribeRepositories', 'ecr:GetAuthorizationToken'], Resource: '*' }],
    };
    await client.send(
      new iam.PutUserPolicyCommand({ UserName: 'ci', PolicyName: 'push-without-create', PolicyDocument: JSON.stringify(policy) }),
    );
    keys = (await client.send(new iam.CreateAccessKeyCommand({ UserName: 'ci' }))).AccessKey as typeof keys;
    client.destroy();
  });

  afterAll(() => {
    server?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it('names the missing IAM action (ecr:CreateRepository) and exits 5', async () => {
    const dir = makeProject(
      `i${Date.now().toString(36)}`,
      `aws:\n  accountId: "123456789012"\nregistry:\n  type: ecr\n  url: ${benchStatus().registry.url}\n`,
    );
    expect((await runMlp(['build'], { cwd: dir, env: baseEnv() })).code).toBe(0);
    const env = {
      ...motoChildEnv(baseEnv()),
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: keys.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.SecretAccessKey,
    };
    const run = await runMlp(['push'], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toContain('ECR CreateRepository was denied: the caller lacks the IAM permission ecr:CreateRepository');
    expect(run.stderr).toContain('grant ecr:CreateRepository');
    expect(run.stderr).not.toContain(keys.SecretAccessKey);
    expect(buildRecord(dir).pushed).toBeUndefined();
  });
});
