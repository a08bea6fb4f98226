/**
 * `mlp logs` against real containers: on the bench cluster's REAL node (the kubelet serves the serving app's real
 * log through the API server), and on the local Docker engine. A service is deployed with mlp deploy first, then its
 * pods' logs are read merged, tailed, as JSON, and followed across a rollout that replaces every pod.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  benchStatus,
  createRealNodeNamespace,
  describeWithBench,
  kubeconfigPath,
  motoChildEnv,
  motoEnv,
  podAwsEndpoint,
} from './support/bench.js';
import { clusterEnv } from './support/cluster-project.js';
import { runMlp } from './support/run-mlp.js';
import { MLP_BIN, spawnMlp, type ProcessRun } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE_MODEL = path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model');
/** Building and pushing the serving image from a cold cache takes minutes on this machine. */
const FIRST_DEPLOY_MS = 900_000;
const TIMEOUT_MS = 300_000;
const NO_REBUILD = ['--skip-train', '--skip-build', '--skip-push'];

/** `mlp <args>` left running (a follow): its output so far, a wait for a line, and Ctrl-C. */
interface Running {
  stdout(): string;
  stderr(): string;
  waitFor(what: string, test: (stdout: string, stderr: string) => boolean, timeoutMs?: number): Promise<void>;
  interrupt(): Promise<number | null>;
}

function startMlp(args: readonly string[], options: { cwd: string; env: Record<string, string> }): Running {
  const child: ChildProcess = spawn(process.execPath, [MLP_BIN, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    async waitFor(what, test, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!test(stdout, stderr)) {
        if (child.exitCode !== null) throw new Error(`mlp ${args.join(' ')} exited ${child.exitCode} before ${what}:\n${stderr}`);
        if (Date.now() > deadline)
          throw new Error(`no ${what} within ${timeoutMs} ms; stdout:\n${stdout.slice(-3000)}\nstderr:\n${stderr}`);
        await sleep(250);
      }
    },
    async interrupt() {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');
/** The label before ` | ` of each human line. */
const prefixes = (stdout: string): string[] => lines(stdout).map((line) => line.split(' | ')[0]!.trim());

describe('mlp logs flags', () => {
  it.each([
    [['logs', '--tail', 'ten'], '--tail ten: the number of lines is a whole number'],
    [['logs', '--tail', '-1'], '--tail -1: the number of lines is a whole number'],
    [['logs', '--since', '1d'], '--since 1d: a duration is written like 90s, 10m or 1h30m'],
    [['logs', 'api', '--training'], "--training shows the training Job's log, not a service's"],
  ])('mlp %j is a usage error (exit 2)', async (argv, message) => {
    const run = await runMlp(argv);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });
});

describeWithBench(['docker', 'registry', 'baseImage', 'buildx', 'kube', 'node'], 'mlp logs of pods on the real node', () => {
  let work: string;
  let project: string;
  let namespace: string;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');

  const env = (): Record<string, string> => clusterEnv();
  const mlp = (...args: string[]): Promise<ProcessRun> => spawnMlp(args, { cwd: project, env: env() });
  const configure = (serviceEnv: Record<string, string> = {}): void =>
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      [
        'apiVersion: mlp/v1',
        'name: logs',
        `build: { baseImage: ${benchStatus().baseImage.image} }`,
        `registry: { type: generic, url: "${benchStatus().registry.url}/${namespace}" }`,
        'cluster:',
        '  name: bench',
        `  context: ${kubeConfig.getCurrentContext()}`,
        `  namespace: ${namespace}`,
        'deploy: { target: eks, timeoutSeconds: 180 }',
        'services:',
        '  - name: api',
        '    model: { source: dir, path: model }',
        '    replicas: 2',
        '    autoscaling: { enabled: false }',
        `    env: ${JSON.stringify(serviceEnv)}`,
      ].join('\n'),
    );

  const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);
  /** The service's running pods, not terminating. */
  const runningPods = async (): Promise<V1Pod[]> =>
    (await core().listNamespacedPod({ namespace, labelSelector: 'mlp.dev/service=api' })).items.filter(
      (pod) => !pod.metadata?.deletionTimestamp && pod.status?.phase === 'Running',
    );

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    work = mkdtempSync(path.join(tmpdir(), 'mlp-logs-'));
    namespace = `mlp-logs-${Date.now().toString(36)}`;
    project = path.join(work, 'logs');
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    await createRealNodeNamespace(kubeConfig, namespace);
    configure();
  });

  afterAll(async () => {
    await core()
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    "merges the logs of the service's two pods, each line after its pod's name",
    async () => {
      const deploy = await mlp('deploy');
      expect(deploy.code, deploy.stderr).toBe(0);
      const pods = (await runningPods()).map((pod) => pod.metadata!.name!);
      expect(pods).toHaveLength(2);

      const run = await mlp('logs', 'api');
      expect(run.code, run.stderr).toBe(0);
      // Both pods, and nothing but their lines (piped, the app's JSON records go through as written).
      expect(new Set(prefixes(run.stdout))).toEqual(new Set(pods));
      for (const pod of pods) expect(run.stdout).toMatch(new RegExp(`^${pod} +\\| \\{.*"msg":"model ready"`, 'm'));
      // Merged in time order (by the node's timestamps): the records' own times, a few ms earlier, barely differ from those.
      // (onnxruntime writes a plain warning line of its own at start-up: only the app's records have a time.)
      const times = lines(run.stdout)
        .map((line) => line.split(' | ').slice(1).join(' | '))
        .filter((line) => line.startsWith('{'))
        .map((line) => Date.parse(JSON.parse(line).time as string));
      expect(times.length).toBeGreaterThan(2);
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]! - 1000);

      // All services when none is named: the same pods.
      const all = await mlp('logs');
      expect(all.code, all.stderr).toBe(0);
      expect(new Set(prefixes(all.stdout))).toEqual(new Set(pods));
    },
    FIRST_DEPLOY_MS,
  );

  it(
    '--tail N shows the last N lines of each pod',
    async () => {
      const run = await mlp('logs', 'api', '--tail', '1');
      expect(run.code, run.stderr).toBe(0);
      expect(lines(run.stdout)).toHaveLength(2);
      expect(new Set(prefixes(run.stdout)).size).toBe(2);
      const none = await mlp('logs', 'api', '--tail', '0');
      expect(none.code, none.stderr).toBe(0);
      expect(none.stdout).toBe('');
    },
    TIMEOUT_MS,
  );

  it(
    "--json prints one object per line, the serving app's record exactly as the pod wrote it",
    async () => {
      const [pod] = await runningPods();
      const name = pod!.metadata!.name!;
      const direct = String(await core().readNamespacedPodLog({ name, namespace, container: 'serving', tailLines: 5 }))
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as unknown);
      const run = await mlp('--json', 'logs', 'api', '--tail', '50');
      expect(run.code, run.stderr).toBe(0);
      const objects = lines(run.stdout).map(
        (line) => JSON.parse(line) as { service: string; pod: string; container: string; record?: Record<string, unknown> },
      );
      const fromMlp = objects.filter((object) => object.pod === name);
      expect(fromMlp.length).toBeGreaterThan(0);
      expect(fromMlp.length).toBeLessThanOrEqual(50);
      expect(objects.every((object) => object.service === 'api' && object.container === 'serving')).toBe(true);
      // What the pod wrote just before, read straight from the API server, is among mlp's records unchanged.
      expect(fromMlp.map((object) => object.record)).toEqual(expect.arrayContaining(direct));
      expect(fromMlp[0]!.record).toMatchObject({ service: 'mlp-serving', level: expect.any(Number), msg: expect.any(String) });
    },
    TIMEOUT_MS,
  );

  it(
    'a service mlp.yaml does not have is a usage error naming those it has',
    async () => {
      const run = await mlp('logs', 'apii');
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('mlp.yaml has no service apii (did you mean api?)');
      expect(run.stderr).toContain('services: api');
      expect(run.stdout).toBe('');
    },
    TIMEOUT_MS,
  );

  it(
    '-f follows the pods a rollout starts and ends with those it removes, until Ctrl-C (exit 0)',
    async () => {
      const before = (await runningPods()).map((pod) => pod.metadata!.name!);
      const follow = startMlp(['logs', 'api', '-f', '--tail', '2'], { cwd: project, env: env() });
      try {
        await follow.waitFor('lines of both pods', (stdout) => before.every((pod) => prefixes(stdout).includes(pod)));

        configure({ LOG_LEVEL: 'debug' }); // a changed pod template: every pod is replaced
        const deploy = await mlp('deploy', ...NO_REBUILD);
        expect(deploy.code, deploy.stderr).toBe(0);
        const after = (await runningPods()).map((pod) => pod.metadata!.name!).filter((pod) => !before.includes(pod));
        expect(after).toHaveLength(2);

        // The new pods' whole logs (they started after the follow did), from their first line on.
        await follow.waitFor('the new pods’ start-up', (stdout) =>
          after.every((pod) => lines(stdout).some((line) => line.startsWith(pod) && line.includes('"msg":"model ready"'))),
        );
        await follow.waitFor('the old pods to end', (_, stderr) => before.every((pod) => stderr.includes(`${pod} (serving): log ended`)));
        for (const pod of after) expect(follow.stderr()).toContain(`following ${pod} (serving)`);
        // The old pods' own shutdown lines came through before their streams ended.
        expect(follow.stdout()).toMatch(new RegExp(`^(${before.join('|')}) +\\| .*shutting down`, 'm'));
      } finally {
        const code = await follow.interrupt();
        expect(code, follow.stderr()).toBe(0);
      }
    },
    TIMEOUT_MS,
  );
});

describeWithBench(['docker', 'baseImage', 'buildx'], 'mlp logs on the local target', () => {
  let work: string;
  let project: string;
  let name: string;
  let port: number;
  const env = (): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    CI: 'true',
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
  });
  const mlp = (...args: string[]): Promise<ProcessRun> => spawnMlp(args, { cwd: project, env: env() });
  const writeConfig = (serviceEnv: Record<string, string> = {}): void =>
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      `apiVersion: mlp/v1\nname: ${name}\nbuild:\n  baseImage: ${benchStatus().baseImage.image}\ndeploy:\n  target: local\n  timeoutSeconds: 60\nservices:\n  - name: api\n    model: { source: dir, path: model }\n    port: ${port}\n    env: ${JSON.stringify(serviceEnv)}\n`,
    );
  const containerId = (): string =>
    execFileSync('docker', ['container', 'inspect', '--format', '{{.Id}}', `mlp-${name}-api`], { encoding: 'utf8' }).trim();

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-logs-local-'));
    name = `g${Date.now().toString(36)}`;
    port = 20_000 + Math.floor(Math.random() * 20_000);
    project = path.join(work, name);
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writeConfig();
  });

  afterAll(() => {
    for (const container of [`mlp-${name}-api`, `mlp-${name}-api-previous`])
      execFileSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'says so when nothing runs yet, and exits 0 with nothing on stdout; -f waits',
    async () => {
      const run = await mlp('logs');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('No containers of api on this machine (mlp deploy starts them).');

      const follow = startMlp(['logs', '-f'], { cwd: project, env: env() });
      await follow.waitFor('the wait', (_, stderr) =>
        stderr.includes('No containers of api on this machine yet; waiting for them (Ctrl-C to stop).'),
      );
      expect(await follow.interrupt()).toBe(0);
      expect(follow.stdout()).toBe('');
    },
    TIMEOUT_MS,
  );

  it(
    "shows the service container's log after its name, tailed, and as JSON",
    async () => {
      const deploy = await mlp('deploy');
      expect(deploy.code, deploy.stderr).toBe(0);
      await fetch(`http://127.0.0.1:${port}/health`, { headers: { 'x-request-id': 'logs-test' } });
      await sleep(500);

      const run = await mlp('logs', 'api');
      expect(run.code, run.stderr).toBe(0);
      expect(new Set(prefixes(run.stdout))).toEqual(new Set([`mlp-${name}-api`]));
      expect(run.stdout).toContain('"msg":"model ready"');
      expect(run.stdout).toContain('"request_id":"logs-test"');

      // On a terminal the records are readable lines, the name coloured; NO_COLOR keeps them readable, uncoloured.
      for (const colour of [true, false]) {
        const tty = await runMlp(['logs', 'api'], {
          cwd: project,
          tty: true,
          env: { ...env(), CI: '', ...(colour ? {} : { NO_COLOR: '1' }) },
        });
        expect(tty.exitCode, tty.stderr).toBe(0);
        // (The container's own lines may carry escapes: onnxruntime colours its warnings whatever the terminal.)
        expect(tty.stdout.startsWith(colour ? `\u001b[36mmlp-${name}-api` : `mlp-${name}-api |`)).toBe(true);
        expect(tty.stdout.includes('\u001b[32mINFO')).toBe(colour);
        const text = stripVTControlCharacters(tty.stdout);
        expect(text).toMatch(/\d\d:\d\d:\d\d\.\d{3}.* model ready.* model_name=/);
        expect(text).toMatch(/ request .*request_id=logs-test/);
        expect(text).not.toContain('{"level"');
      }

      const tail = await mlp('logs', '--tail', '1');
      expect(tail.code, tail.stderr).toBe(0);
      expect(lines(tail.stdout)).toHaveLength(1);

      const json = await mlp('--json', 'logs', 'api');
      expect(json.code, json.stderr).toBe(0);
      const objects = lines(json.stdout).map((line) => JSON.parse(line) as { pod: string; container: string; record?: { msg?: string } });
      expect(objects.every((object) => object.pod === `mlp-${name}-api` && containerId().startsWith(object.container))).toBe(true);
      expect(objects.map((object) => object.record?.msg)).toContain('model ready');
    },
    TIMEOUT_MS,
  );

  it(
    '-f follows the new container a redeploy starts, until Ctrl-C',
    async () => {
      const before = containerId();
      const follow = startMlp(['--json', 'logs', '-f', '--tail', '1'], { cwd: project, env: env() });
      try {
        await follow.waitFor('the running container’s line', (stdout) => lines(stdout).length >= 1);
        writeConfig({ LOG_LEVEL: 'debug' });
        const deploy = await mlp('deploy');
        expect(deploy.code, deploy.stderr).toBe(0);
        const after = containerId();
        expect(after).not.toBe(before);
        await follow.waitFor('the new container’s start-up', (stdout) =>
          lines(stdout).some((line) => {
            const object = JSON.parse(line) as { container: string; record?: { msg?: string } };
            return after.startsWith(object.container) && object.record?.msg === 'model ready';
          }),
        );
        // The replaced container's drain, before its stream ended.
        expect(follow.stdout()).toContain('shutting down');
      } finally {
        const code = await follow.interrupt();
        expect(code, follow.stderr()).toBe(0);
      }
    },
    TIMEOUT_MS,
  );
});

describeWithBench(
  ['docker', 'registry', 'moto', 'kube', 'node', 'pythonImage', 'baseImage', 'buildx'],
  'mlp logs --training after mlp train --remote on the real node',
  () => {
    let work: string;
    let project: string;
    let namespace: string;
    let kubeConfig: KubeConfig;
    let k8s: typeof import('@kubernetes/client-node');
    const bucket = `mlp-test-logs-${Date.now().toString(36)}`;
    const env = (): Record<string, string> => ({ ...motoChildEnv(), CI: 'true', KUBECONFIG: kubeconfigPath() });
    const mlp = (...args: string[]): Promise<ProcessRun> => spawnMlp(args, { cwd: project, env: env() });
    const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);

    beforeAll(async () => {
      k8s = await import('@kubernetes/client-node');
      kubeConfig = new k8s.KubeConfig();
      kubeConfig.loadFromFile(kubeconfigPath());
      work = mkdtempSync(path.join(tmpdir(), 'mlp-logs-training-'));
      project = path.join(work, 'fraud');
      mkdirSync(project);
      for (const file of ['train.py', 'requirements.txt']) cpSync(path.join(ROOT, 'examples', 'fraud', file), path.join(project, file));
      namespace = `mlp-logs-train-${Date.now().toString(36)}`;
      await createRealNodeNamespace(kubeConfig, namespace);
      await core().createNamespacedSecret({
        namespace,
        body: {
          metadata: { name: 'aws-credentials' },
          stringData: { AWS_ACCESS_KEY_ID: motoEnv().AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: motoEnv().AWS_SECRET_ACCESS_KEY! },
        },
      });
      writeFileSync(
        path.join(project, 'mlp.yaml'),
        [
          'apiVersion: mlp/v1',
          'name: fraud',
          `registry: { type: generic, url: "${benchStatus().registry.url}" }`,
          'cluster:',
          '  name: bench',
          `  context: ${kubeConfig.getCurrentContext()}`,
          `  namespace: ${namespace}`,
          '  awsCredentialsSecret: aws-credentials',
          'deploy: { target: eks, timeoutSeconds: 180 }',
          'build:',
          `  baseImage: ${benchStatus().baseImage.image}`,
          `  pythonBaseImage: ${benchStatus().pythonImage.image}`,
          'training:',
          '  command: python train.py --out ${MLP_OUTPUT_DIR}',
          '  requirements: requirements.txt',
          '  timeoutSeconds: 600',
          `  env: { AWS_ENDPOINT_URL: "${podAwsEndpoint()}" }`,
          '  remote:',
          '    enabled: true',
          `    artifacts: s3://${bucket}/models`,
          '    resources: { requests: { cpu: 250m, memory: 256Mi }, limits: { cpu: "1", memory: 1Gi } }',
          'services:',
          '  - name: fraud',
          '    model: { source: training }',
          '    replicas: 1',
        ].join('\n'),
      );
    });

    afterAll(async () => {
      await core()
        .deleteNamespace({ name: namespace })
        .catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
    });

    it(
      "shows the last training Job's pod log, after its pod's name, and as JSON with the Job",
      async () => {
        const none = await mlp('logs', '--training');
        expect(none.code, none.stderr).toBe(0);
        expect(none.stdout).toBe('');
        expect(none.stderr).toContain(`No training Job of fraud in namespace ${namespace} (mlp train --remote starts one).`);

        const trained = await mlp('train', '--remote');
        expect(trained.code, trained.stderr).toBe(0);
        const job = /Job (fraud-train-[0-9a-f]{10})/.exec(trained.stderr)![1]!;
        const [pod] = (await core().listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
        const name = pod!.metadata!.name!;

        const run = await mlp('logs', '--training', '--tail', '1000');
        expect(run.code, run.stderr).toBe(0);
        expect(new Set(prefixes(run.stdout))).toEqual(new Set([name]));
        // The image entrypoint's own last word, after the training's lines.
        expect(run.stdout).toMatch(new RegExp(`^${name} \\| .*mlp: uploaded \\d+ files`, 'm'));

        const json = await mlp('--json', 'logs', '--training', '--tail', '2');
        expect(json.code, json.stderr).toBe(0);
        const objects = lines(json.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(objects).toHaveLength(2);
        for (const object of objects) expect(object).toMatchObject({ job, pod: name, container: 'train', line: expect.any(String) });
      },
      FIRST_DEPLOY_MS,
    );
  },
);
