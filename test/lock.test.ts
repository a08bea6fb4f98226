/**
 * One deploy, rollback or scale of a project at a time: on the local target (the real Docker engine) through
 * <project>/.mlp/lock, on the eks target (the bench's control plane) through the Lease mlp-<project>-lock in the
 * project's namespace. A second operation exits 7 naming the holder, or waits with --wait; a holder that is gone
 * (a dead pid, an expired Lease) is taken over with a warning; the lock is released at the end.
 */
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench, kubeconfigPath } from './support/bench.js';
import { clusterEnv, clusterProject, fakeDigest, SKIP_TO_DEPLOY, writePushedBuild } from './support/cluster-project.js';
import { spawnMlp, type ProcessRun } from './support/spawn-mlp.js';
import { contextForTest } from './support/run-mlp.js';
import { KubeClient } from '../src/lib/kube/client.js';
import { currentHolder } from '../src/lib/lock/holder.js';
import { LeaseLock } from '../src/lib/lock/lease-lock.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE_MODEL = path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model');
const TIMEOUT_MS = 10 * 60_000;
const USER = os.userInfo().username;
const HOST = os.hostname();
/** The pid of a process that has exited. */
const deadPid = (): number =>
  Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describeWithBench(['docker', 'baseImage', 'buildx'], 'the project lock on the local target', () => {
  let work: string;
  let project: string;
  let name: string;
  let port: number;
  const lockFile = (): string => path.join(project, '.mlp', 'lock');
  const mlp = (...args: string[]): Promise<ProcessRun> =>
    spawnMlp(args, { cwd: project, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', CI: 'true' } });
  const writeConfig = (variant: string): void =>
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      `apiVersion: mlp/v1\nname: ${name}\nbuild:\n  baseImage: ${benchStatus().baseImage.image}\ndeploy:\n  target: local\n  timeoutSeconds: 60\nservices:\n  - name: api\n    model: { source: dir, path: model }\n    port: ${port}\n    env: { VARIANT: ${variant} }\n`,
    );

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-lock-'));
    name = `k${Date.now().toString(36)}`;
    port = 20_000 + Math.floor(Math.random() * 20_000);
    project = path.join(work, name);
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writeConfig('a');
  });

  afterAll(() => {
    for (const container of [`mlp-${name}-api`, `mlp-${name}-api-previous`])
      execFileSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'of two deploys at once, one runs and the other exits 7 naming who holds the lock',
    async () => {
      const runs = await Promise.all([mlp('deploy', '--skip-test'), mlp('deploy', '--skip-test')]);
      const won = runs.find((run) => run.code === 0);
      const lost = runs.find((run) => run.code === 7);
      expect(won, runs.map((run) => `${run.code}: ${run.stderr}`).join('\n---\n')).toBeDefined();
      expect(lost, runs.map((run) => `${run.code}: ${run.stderr}`).join('\n---\n')).toBeDefined();
      expect(won!.stderr).toContain(`api: started mlp-${name}-api`);
      expect(lost!.stderr).toContain(`error: Another deploy of ${name} is running: \`mlp deploy --skip-test\` (${USER} on ${HOST}, pid `);
      expect(lost!.stderr).toMatch(/ since \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ s ago\)\./);
      expect(lost!.stderr).toContain(`lock: lock file ${lockFile()}`);
      expect(lost!.stderr).toContain('hint: wait for it, or run with --wait');
      expect(lost!.stderr).not.toContain('failed to rename container');
      expect(existsSync(lockFile())).toBe(false);
    },
    TIMEOUT_MS,
  );

  it(
    'with --wait the second deploy waits for the first and then runs',
    async () => {
      writeConfig('b'); // a changed configuration: the first deploy replaces the container and waits for it
      const first = mlp('deploy', '--skip-test');
      while (!existsSync(lockFile())) await sleep(20);
      const second = await mlp('deploy', '--skip-test', '--wait');
      const firstRun = await first;
      expect(firstRun.code, firstRun.stderr).toBe(0);
      expect(firstRun.stderr).toContain(`api: started mlp-${name}-api`);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(
        new RegExp(`waiting for \`mlp deploy --skip-test\` \\(${USER} on ${HOST}, pid \\d+\\) since .+ to finish`),
      );
      expect(second.stderr.match(/waiting for/g)).toHaveLength(1);
      expect(second.stderr).toContain('unchanged');
      expect(existsSync(lockFile())).toBe(false);
    },
    TIMEOUT_MS,
  );

  it(
    'a lock file whose process is gone is taken over with a warning',
    async () => {
      const pid = deadPid();
      const since = new Date(Date.now() - 3_600_000).toISOString();
      writeFileSync(
        lockFile(),
        JSON.stringify({ id: 'x', operation: 'deploy', user: 'dave', host: HOST, pid, command: 'mlp deploy', since }),
      );
      const run = await mlp('deploy', '--skip-test');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(
        `warning: took over the stale lock of \`mlp deploy\` (dave on ${HOST}, pid ${pid}) since ${since} (60 min ago): its process (pid ${pid}) is gone`,
      );
      expect(existsSync(lockFile())).toBe(false);
    },
    TIMEOUT_MS,
  );

  it('a dry run takes no lock', async () => {
    writeFileSync(
      lockFile(),
      JSON.stringify({
        id: 'x',
        operation: 'deploy',
        user: 'erin',
        host: HOST,
        pid: process.pid,
        command: 'mlp deploy',
        since: new Date().toISOString(),
      }),
    );
    try {
      const run = await mlp('deploy', '--dry-run');
      expect(run.code, run.stderr).toBe(0);
      const locked = await mlp('deploy', '--skip-test');
      expect(locked.code).toBe(7);
      expect(locked.stderr).toContain(`(erin on ${HOST}, pid ${process.pid})`);
    } finally {
      rmSync(lockFile(), { force: true });
    }
  });
});

describeWithBench(['kube'], 'the project lock on the eks target', () => {
  let work: string;
  let project: string;
  let namespace: string;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');
  const LEASE = 'mlp-lock-lock';
  const mlp = (...args: string[]) => spawnMlp(args, { cwd: project, env: clusterEnv() });
  const leases = () => kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  const readLease = (): Promise<V1Lease | undefined> =>
    leases()
      .readNamespacedLease({ name: LEASE, namespace })
      .catch((error: { code?: number }) => {
        if (error.code === 404) return undefined;
        throw error;
      });
  /** A Lease as another mlp on another machine holds it, last renewed `renewedAgoMs` ago. */
  const foreignLease = (renewedAgoMs: number, since: string): V1Lease => ({
    metadata: {
      name: LEASE,
      namespace,
      annotations: {
        'mlp.dev/lock-id': 'carol@laptop-1-1234-aaaa',
        'mlp.dev/lock-operation': 'deploy',
        'mlp.dev/lock-user': 'carol',
        'mlp.dev/lock-host': 'laptop-1',
        'mlp.dev/lock-pid': '1234',
        'mlp.dev/lock-command': 'mlp deploy --profile prod',
        'mlp.dev/lock-since': since,
      },
    },
    spec: {
      holderIdentity: 'carol@laptop-1-1234-aaaa',
      leaseDurationSeconds: 30,
      acquireTime: new k8s.V1MicroTime(Date.parse(since)),
      renewTime: new k8s.V1MicroTime(Date.now() - renewedAgoMs),
    },
  });

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    work = mkdtempSync(path.join(tmpdir(), 'mlp-lock-eks-'));
    namespace = `mlp-lock-${Date.now().toString(36)}`;
    project = path.join(work, 'proj');
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writePushedBuild(project, `registry.local/lock/api@${fakeDigest(1)}`);
    writeFileSync(path.join(project, 'mlp.yaml'), clusterProject('lock', kubeConfig, namespace, [], { replicas: 1 }));
    await kubeConfig.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    await kubeConfig
      ?.makeApiClient(k8s.CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'a Lease held by someone else makes deploy and rollback exit 7 naming the holder',
    async () => {
      const since = new Date(Date.now() - 90_000).toISOString();
      await leases().createNamespacedLease({ namespace, body: foreignLease(0, since) });
      const deploy = await mlp('deploy', ...SKIP_TO_DEPLOY);
      expect(deploy.code, deploy.stderr).toBe(7);
      expect(deploy.stderr).toContain(
        `error: Another deploy of lock is running: \`mlp deploy --profile prod\` (carol on laptop-1, pid 1234) since ${since} (`,
      );
      expect(deploy.stderr).toMatch(/ \(9\d s ago\)\./);
      expect(deploy.stderr).toContain(`lock: Lease ${namespace}/${LEASE}`);
      expect(deploy.stderr).not.toContain('Deployment/api');
      const rollback = await mlp('rollback', 'api');
      expect(rollback.code, rollback.stderr).toBe(7);
      expect(rollback.stderr).toContain('(carol on laptop-1, pid 1234)');
      expect((await readLease())?.spec?.holderIdentity).toBe('carol@laptop-1-1234-aaaa');
    },
    TIMEOUT_MS,
  );

  it(
    'an expired Lease is taken over with a warning, and released after the deploy',
    async () => {
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const current = await readLease();
      await leases().replaceNamespacedLease({
        name: LEASE,
        namespace,
        body: {
          ...foreignLease(600_000, since),
          metadata: { ...foreignLease(600_000, since).metadata, resourceVersion: current?.metadata?.resourceVersion },
        },
      });
      const run = await mlp('deploy', ...SKIP_TO_DEPLOY);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(
        /warning: took over the stale lock of `mlp deploy --profile prod` \(carol on laptop-1, pid 1234\) since .+: its Lease expired at \d{4}-/,
      );
      expect(run.stderr).toContain('api: rolled out (1/1 available)');
      expect(await readLease()).toBeUndefined();
    },
    TIMEOUT_MS,
  );

  it(
    'holds the Lease, naming this process, while the deploy runs',
    async () => {
      writePushedBuild(project, `registry.local/lock/api@${fakeDigest(2)}`);
      const running = mlp('deploy', ...SKIP_TO_DEPLOY);
      let seen: V1Lease | undefined;
      for (let i = 0; i < 600 && !seen; i++) {
        seen = await readLease();
        if (!seen) await sleep(50);
      }
      const run = await running;
      expect(run.code, run.stderr).toBe(0);
      expect(seen?.spec?.leaseDurationSeconds).toBe(30);
      expect(seen?.metadata?.annotations).toMatchObject({
        'mlp.dev/lock-user': USER,
        'mlp.dev/lock-host': HOST,
        'mlp.dev/lock-command': 'mlp deploy --skip-train --skip-build --skip-push --skip-test',
        'mlp.dev/lock-operation': 'deploy',
      });
      expect(await readLease()).toBeUndefined();
    },
    TIMEOUT_MS,
  );

  it(
    'of three racers for the same expired Lease exactly one wins, and renews it every 10 s',
    async () => {
      await leases().createNamespacedLease({ namespace, body: foreignLease(600_000, new Date(Date.now() - 3_600_000).toISOString()) });
      const kube = await KubeClient.fromKubeConfig(kubeConfig);
      const context = await contextForTest(project);
      const racers = [0, 1, 2].map(() => new LeaseLock(kube, namespace, 'lock', currentHolder('deploy', {}), context.output));
      const attempts = await Promise.all(racers.map((racer) => racer.tryAcquire()));
      expect(attempts.filter((attempt) => attempt.acquired)).toHaveLength(1);
      const winner = racers[attempts.findIndex((attempt) => attempt.acquired)]!;
      const held = await readLease();
      const renewedAt = (lease: V1Lease | undefined): number => Date.parse(lease?.spec?.renewTime as unknown as string);
      await sleep(11_000);
      const renewed = await readLease();
      expect(renewed?.spec?.holderIdentity).toBe(held?.spec?.holderIdentity);
      expect(renewedAt(renewed) - renewedAt(held)).toBeGreaterThanOrEqual(9_000);
      expect(renewed?.spec?.leaseTransitions).toBe(1);
      await Promise.all(racers.filter((racer) => racer !== winner).map((racer) => racer.release()));
      expect((await readLease())?.spec?.holderIdentity).toBe(held?.spec?.holderIdentity); // not theirs to release
      await winner.release();
      expect(await readLease()).toBeUndefined();
    },
    TIMEOUT_MS,
  );
});
