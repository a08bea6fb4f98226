/**
 * `mlp debug pods` and `mlp debug quota` against the bench cluster's REAL node (kubelet + containerd): the service
 * runs the real serving image, and what the checks report — CrashLoopBackOff with the container's own last log line,
 * the scheduler's FailedScheduling reason, a ResourceQuota the next deploy would exceed — is what the real kubelet,
 * scheduler and quota controller said. Failures are left in place with `mlp deploy --no-rollback`, as a person would
 * find them. Without a cluster: an unknown service and an unreachable API server.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchStatus, createRealNodeNamespace, describeWithBench, kubeconfigPath } from './support/bench.js';
import { clusterEnv } from './support/cluster-project.js';
import { runMlp } from './support/run-mlp.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODEL = path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model');
/** The first deploy builds and pushes the serving image; the real node pulls it. */
const FIRST_DEPLOY_MS = 300_000;
const TIMEOUT_MS = 120_000;
const NO_REBUILD = ['--skip-build', '--skip-push', '--skip-test'];

interface Check {
  check: string;
  subject?: string;
  status: 'pass' | 'fail' | 'skip';
  saw: string;
  fix?: string;
  details?: string[];
}

const checksOf = (stdout: string): Check[] => (JSON.parse(stdout) as { checks: Check[] }).checks;

/** mlp.yaml with one service, fraud, serving a model directory (no training). */
function mlpYaml(lines: { cluster?: string[]; deploy?: string[]; service?: string[]; build?: string[] }): string {
  return [
    'apiVersion: mlp/v1',
    'name: fraud',
    ...(lines.build ?? []),
    ...(lines.cluster ?? []),
    'deploy:',
    ...(lines.deploy ?? ['  target: local']),
    'services:',
    '  - name: fraud',
    '    model: { source: dir, path: model }',
    '    replicas: 1',
    '    autoscaling: { enabled: false }',
    ...(lines.service ?? []),
    '',
  ].join('\n');
}

describe('mlp debug pods and quota, before reaching a cluster', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlp-debug-'));
    // A kubeconfig whose API server does not answer (nothing listens on port 1).
    writeFileSync(
      path.join(dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: dead, cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true } }]',
        'users: [{ name: dead, user: { token: x } }]',
        'contexts: [{ name: dead, context: { cluster: dead, user: dead } }]',
        'current-context: dead',
      ].join('\n'),
    );
    mkdirSync(path.join(dir, 'model'));
    writeFileSync(
      path.join(dir, 'mlp.yaml'),
      mlpYaml({ cluster: ['cluster:', '  name: bench', '  context: dead', '  namespace: ml'], deploy: ['  target: eks'] }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: path.join(dir, 'kubeconfig') });

  it('an unknown service is a usage error (exit 2) naming the services mlp.yaml has', async () => {
    const run = await runMlp(['debug', 'pods', 'frad', '-C', dir], { env: env() });
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr).toContain('mlp.yaml has no service frad (did you mean fraud?)');
    expect(run.stderr).toContain('services: fraud');
  });

  it('an API server that does not answer is a prerequisite error (exit 6), for both topics', async () => {
    for (const topic of ['pods', 'quota']) {
      const run = await runMlp(['debug', topic, '-C', dir], { env: env() });
      expect(run.exitCode, `${topic}: ${run.stderr}`).toBe(6);
      expect(run.stderr).toMatch(/The cluster does not answer \(kubeconfig context dead: ECONNREFUSED\)/);
    }
  });
});

describeWithBench(['docker'], 'mlp debug pods on the local target', () => {
  it('checks the containers instead of pods: one not deployed fails with mlp deploy as the fix; quota does not apply', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlp-debug-local-'));
    try {
      mkdirSync(path.join(dir, 'model'));
      writeFileSync(path.join(dir, 'mlp.yaml'), mlpYaml({}).replace('name: fraud', `name: dbg${Date.now().toString(36)}`));
      const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };
      const pods = await spawnMlp(['debug', 'pods', '--json'], { cwd: dir, env });
      expect(pods.code, pods.stderr).toBe(43);
      expect(checksOf(pods.stdout)).toEqual([
        expect.objectContaining({ check: 'pods.container', subject: 'fraud', status: 'fail', fix: 'mlp deploy' }),
      ]);
      expect(checksOf(pods.stdout)[0]!.saw).toMatch(/no container mlp-dbg\w+-fraud \(not deployed on this machine\)/);
      const quota = await spawnMlp(['debug', 'quota'], { cwd: dir, env });
      expect(quota.code, quota.stderr).toBe(0);
      expect(quota.stdout).toContain('skip deploy.target is local');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithBench(['docker', 'registry', 'baseImage', 'buildx', 'kube', 'node'], 'mlp debug pods and quota on the real node', () => {
  let work: string;
  let project: string;
  let namespace: string;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');

  const mlp = (...args: string[]) => spawnMlp(args, { cwd: project, env: clusterEnv() });
  const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);
  const crashLooping = async (): Promise<boolean> =>
    (await core().listNamespacedPod({ namespace })).items.some((pod) =>
      pod.status?.containerStatuses?.some((status) => status.state?.waiting?.reason === 'CrashLoopBackOff'),
    );

  const configure = (service: string[] = [], timeoutSeconds = 120): void => {
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      mlpYaml({
        build: [
          'build:',
          `  baseImage: ${benchStatus().baseImage.image}`,
          'registry:',
          '  type: generic',
          `  url: ${benchStatus().registry.url}/${namespace}`,
        ],
        cluster: ['cluster:', '  name: bench', `  context: ${kubeConfig.getCurrentContext()}`, `  namespace: ${namespace}`],
        deploy: ['  target: eks', `  timeoutSeconds: ${timeoutSeconds}`],
        service,
      }),
    );
  };

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    work = mkdtempSync(path.join(tmpdir(), 'mlp-debug-real-'));
    namespace = `mlp-dbg-${Date.now().toString(36)}`;
    project = path.join(work, 'fraud');
    mkdirSync(project);
    cpSync(MODEL, path.join(project, 'model'), { recursive: true });
    await createRealNodeNamespace(kubeConfig, namespace);
  });

  afterAll(async () => {
    await core()
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'not deployed yet: fails with mlp deploy as the fix; a healthy release: every pod and quota check passes (exit 0)',
    async () => {
      configure();
      const before = await mlp('debug', 'pods', '--json');
      expect(before.code, before.stderr).toBe(43);
      expect(checksOf(before.stdout)).toEqual([
        {
          check: 'pods.deployment',
          subject: 'fraud',
          status: 'fail',
          saw: `no Deployment fraud in namespace ${namespace}: the service is not deployed`,
          fix: 'mlp deploy',
        },
      ]);

      const deploy = await mlp('deploy');
      expect(deploy.code, deploy.stderr).toBe(0);

      const pods = await mlp('debug', 'pods', '--json');
      expect(pods.code, pods.stderr).toBe(0);
      const checks = checksOf(pods.stdout);
      expect(checks.map((check) => check.check)).toEqual(['pods.deployment', 'pods.running', 'pods.restarts']);
      expect(checks.every((check) => check.status === 'pass')).toBe(true);
      expect(checks[1]!.subject).toMatch(/^fraud\/fraud-[a-z0-9]+-[a-z0-9]+$/);
      expect(checks[0]!.saw).toMatch(/^Deployment: 1\/1 replicas available, revision 1$/);

      const human = await mlp('debug', 'pods');
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toContain('all 3 checks passed');

      const quota = await mlp('debug', 'quota', '--json');
      expect(quota.code, quota.stderr).toBe(0);
      const cpu = checksOf(quota.stdout).find((check) => check.subject === `${namespace}-quota/requests.cpu`);
      // mlp's own quota has room for 1 replica + 1 surge pod at 250m; the one pod running now is replaced.
      expect(cpu).toMatchObject({
        status: 'pass',
        saw: "250m of 500m used; the next deploy needs 500m, replacing the project's pods' 250m → 500m (0 to spare)",
      });
    },
    FIRST_DEPLOY_MS,
  );

  it(
    'a ResourceQuota too small for the next deploy fails (exit 43) naming used, hard, needed and the mlp.yaml values — and the deploy is refused',
    async () => {
      await core().createNamespacedResourceQuota({
        namespace,
        body: { metadata: { name: 'team-cap' }, spec: { hard: { 'requests.cpu': '400m' } } },
      });
      // The quota controller counts the running pod into status.used.
      for (let tries = 0; tries < 30; tries += 1) {
        const live = await core().readNamespacedResourceQuota({ name: 'team-cap', namespace });
        if (live.status?.used?.['requests.cpu'] === '250m') break;
        await sleep(500);
      }
      try {
        const run = await mlp('debug', 'quota');
        expect(run.code, run.stderr).toBe(43);
        expect(run.stdout).toContain(
          "FAIL team-cap/requests.cpu: 250m of 400m used; the next deploy needs 500m, replacing the project's pods' 250m → 500m (100m over)",
        );
        expect(run.stdout).toContain('fraud: 2 pods (1 replica + 1 surge) × 250m');
        expect(run.stdout).toContain(
          'fix: lower services[0].resources.requests.cpu (250m) or services[0].replicas (1) in mlp.yaml, or raise requests.cpu of ResourceQuota team-cap to 500m',
        );
        expect(run.stderr).toContain('mlp debug quota: 1 of');

        // What it predicted is what happens: the rollout's surge pod is refused (exit 36), and rolled back.
        configure(['    env: { LOG_LEVEL: debug }']);
        const deploy = await mlp('deploy', ...NO_REBUILD);
        expect(deploy.code, deploy.stderr).toBe(36);
        expect(deploy.stderr).toContain('exceeded quota: team-cap');
      } finally {
        await core().deleteNamespacedResourceQuota({ name: 'team-cap', namespace });
      }
    },
    TIMEOUT_MS,
  );

  it(
    'a pod no node has room for is Pending with the scheduler’s reason and the request to lower (exit 43)',
    async () => {
      configure(['    resources: { requests: { cpu: "64", memory: 256Mi }, limits: { cpu: "64", memory: 512Mi } }'], 15);
      const deploy = await mlp('deploy', '--no-rollback', ...NO_REBUILD);
      expect(deploy.code, deploy.stderr).toBe(35);

      const run = await mlp('debug', 'pods', 'fraud', '--json');
      expect(run.code, run.stderr).toBe(43);
      const checks = checksOf(run.stdout);
      const pending = checks.find((check) => check.check === 'pods.running' && check.status === 'fail')!;
      expect(pending.saw).toBe('Pending: cannot be scheduled (FailedScheduling)');
      expect(pending.details?.[0]).toMatch(/nodes are available: .*Insufficient cpu/);
      expect(pending.fix).toContain('lower services[0].resources.requests.cpu in mlp.yaml (now 64');
      // The release before it still runs, and says so.
      expect(checks.filter((check) => check.check === 'pods.running' && check.status === 'pass')).toHaveLength(1);
      expect(checks[0]).toMatchObject({ check: 'pods.deployment', status: 'fail', fix: pending.fix });
    },
    TIMEOUT_MS,
  );

  it(
    'a crash-looping release: CrashLoopBackOff with the container’s real last log line and its restarts (exit 43)',
    async () => {
      configure(['    env: { LOG_LEVEL: loud }'], 60);
      const deploy = await mlp('deploy', '--no-rollback', ...NO_REBUILD);
      expect(deploy.code, deploy.stderr).toBe(34);
      // Between two restarts the container runs for a moment; the runbook's case is the back-off between them.
      for (let tries = 0; tries < 60 && !(await crashLooping()); tries += 1) await sleep(500);

      const run = await mlp('debug', 'pods');
      expect(run.code, run.stderr).toBe(43);
      expect(run.stdout).toMatch(
        /FAIL fraud\/fraud-\S+: container serving keeps crashing \(CrashLoopBackOff, \d+ restarts, last exit code 2\)/,
      );
      expect(run.stdout).toContain('log: mlp-serving: invalid environment: LOG_LEVEL: must be one of');
      expect(run.stdout).toMatch(
        /FAIL fraud\/fraud-\S+: container serving restarted \d+ times?; the last run ended with exit code 2 \(Error\)/,
      );
      expect(run.stdout).toContain('fix: the last log lines say why it exits');
      expect(run.stderr).toMatch(/mlp debug pods: \d+ of \d+ checks failed/);
    },
    TIMEOUT_MS,
  );
});
