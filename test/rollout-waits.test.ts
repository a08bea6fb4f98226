/**
 * What `mlp deploy` waits out on the bench's control plane before it calls a rollout failed, and what it does not:
 * a quota refusal that passes once a terminating pod is gone (a rolling update's surge pod) succeeds, one that cannot
 * pass exits 36 once it has settled; a pod waiting for a node succeeds when one frees up within the grace period, and
 * one that can never be placed exits 35 only after it (src/lib/kube/rollout.ts: QUOTA_SETTLE_MS, UNSCHEDULABLE_GRACE_MS).
 *
 * kwok deletes a terminating pod at once, so a slow termination is played by a pod the test binds to a node that does
 * not exist: nothing runs or deletes it, so it stays terminating (and counted by the quota) until the test removes it.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBench, kubeconfigPath } from './support/bench.js';
import { clusterEnv, clusterProject, fakeDigest, SKIP_TO_DEPLOY, writePushedBuild } from './support/cluster-project.js';
import { spawnMlp, type ProcessRun } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** rollout.ts's QUOTA_SETTLE_MS (the README's 5 s): how long a refusal must last, with nothing terminating, to be the verdict. */
const QUOTA_SETTLE_MS = 5000;
/** rollout.ts's UNSCHEDULABLE_GRACE_MS: how long a pod may wait for a node (a cluster autoscaler adds one). */
const UNSCHEDULABLE_GRACE_MS = 60_000;
const TIMEOUT_MS = 240_000;
/** Longer than both waits, so an exit before it is mlp's own verdict, not the deadline's. */
const DEPLOY_TIMEOUT_S = 150;

describeWithBench(['kube'], 'mlp deploy waits out passing quota refusals and pods waiting for a node, and no more', () => {
  let work: string;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');
  const namespaces: string[] = [];
  const stamp = Date.now().toString(36);

  const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);
  const apps = () => kubeConfig.makeApiClient(k8s.AppsV1Api);

  /** A fresh namespace and project deploying service api (1 replica) with these extra service lines. */
  const project = (name: string, serviceLines: string[] = []): { dir: string; namespace: string; write(lines: string[]): void } => {
    const namespace = `mlp-wait-${name}-${stamp}`;
    namespaces.push(namespace);
    const dir = path.join(work, name);
    mkdirSync(dir);
    cpSync(path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model'), path.join(dir, 'model'), { recursive: true });
    writePushedBuild(dir, `registry.local/${name}/api@${fakeDigest(1)}`);
    const write = (lines: string[]): void =>
      writeFileSync(
        path.join(dir, 'mlp.yaml'),
        clusterProject(name, kubeConfig, namespace, lines, { replicas: 1, timeoutSeconds: DEPLOY_TIMEOUT_S }),
      );
    write(serviceLines);
    return { dir, namespace, write };
  };
  const deploy = (dir: string): Promise<ProcessRun> => spawnMlp(['deploy', ...SKIP_TO_DEPLOY], { cwd: dir, env: clusterEnv() });
  const timed = async (run: Promise<ProcessRun>): Promise<ProcessRun & { ms: number }> => {
    const started = Date.now();
    const done = await run;
    return { ...done, ms: Date.now() - started };
  };
  /** What `run` ended with if it has ended (its exit code and stderr show in a failure), else undefined. */
  const settledEarly = (run: Promise<ProcessRun>): (() => string | undefined) => {
    let ended: string | undefined;
    void run.then((done) => (ended = `exit ${done.code}: ${done.stderr}`));
    return () => ended;
  };
  /** Polls `probe` every 250 ms until it returns a value, or fails naming `what`. */
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(250);
    }
  };
  /** The newest ReplicaSet's quota refusal (its ReplicaFailure condition), once there is one. */
  const quotaRefusal = async (namespace: string): Promise<string | undefined> => {
    const { items } = await apps().listNamespacedReplicaSet({ namespace });
    const revision = (set: (typeof items)[number]): number => Number(set.metadata?.annotations?.['deployment.kubernetes.io/revision']);
    const newest = items.sort((a, b) => revision(b) - revision(a))[0];
    const failure = newest?.status?.conditions?.find((condition) => condition.type === 'ReplicaFailure' && condition.status === 'True');
    return failure && /exceeded quota/.test(failure.message ?? '') ? failure.message : undefined;
  };
  /** The service's pod that the scheduler has said it cannot place, once there is one. */
  const unschedulablePod = async (namespace: string): Promise<V1Pod | undefined> => {
    const { items } = await core().listNamespacedPod({ namespace, labelSelector: 'mlp.dev/service=api' });
    return items.find((pod) =>
      pod.status?.conditions?.some((condition) => condition.type === 'PodScheduled' && condition.reason === 'Unschedulable'),
    );
  };
  /** A pod mlp does not own that counts against the quota and is never run: bound to a node that does not exist. */
  const unrunnablePod = (namespace: string, name: string): V1Pod => ({
    metadata: { name, namespace },
    spec: {
      nodeName: `mlp-test-no-such-node-${stamp}`,
      terminationGracePeriodSeconds: 300,
      containers: [
        {
          name: 'hold',
          image: 'registry.local/hold:1',
          resources: { requests: { cpu: '10m', memory: '8Mi' }, limits: { cpu: '10m', memory: '8Mi' } },
        },
      ],
    },
  });

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    work = mkdtempSync(path.join(tmpdir(), 'mlp-rollout-waits-'));
  });

  afterAll(async () => {
    for (const namespace of namespaces) {
      // The held pods have no kubelet to finish them: remove them at once, then the namespace.
      const { items } = await core()
        .listNamespacedPod({ namespace })
        .catch(() => ({ items: [] as V1Pod[] }));
      for (const pod of items)
        await core()
          .deleteNamespacedPod({ name: pod.metadata!.name!, namespace, gracePeriodSeconds: 0 })
          .catch(() => undefined);
      await core()
        .deleteNamespace({ name: namespace })
        .catch(() => undefined);
    }
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'a surge pod the quota refuses while another pod terminates rolls out once that pod is gone (exit 0)',
    async () => {
      const { dir, namespace, write } = project('surge', ['    env: { VARIANT: a }']);
      const first = await deploy(dir);
      expect(first.code, first.stderr).toBe(0);
      // Room for exactly what runs now: the service's pod and one more pod that is about to terminate.
      await core().createNamespacedPod({ namespace, body: unrunnablePod(namespace, 'terminating') });
      await core().createNamespacedResourceQuota({ namespace, body: { metadata: { name: 'pods' }, spec: { hard: { pods: '2' } } } });
      await waitFor('the quota to count both pods', async () => {
        const quota = await core().readNamespacedResourceQuota({ name: 'pods', namespace });
        return quota.status?.used?.pods === '2' ? true : undefined;
      });

      write(['    env: { VARIANT: b }']);
      const run = timed(deploy(dir));
      const refused = await waitFor('the quota to refuse the surge pod', () => quotaRefusal(namespace));
      // By this quota or by the one mlp renders for the project (sized for the replicas and their surge).
      expect(refused).toContain('exceeded quota');
      // The other pod starts terminating (a long grace period, and nothing to end it): it still counts against the
      // quota, and mlp must keep waiting past QUOTA_SETTLE_MS because something in the namespace is terminating.
      const early = settledEarly(run);
      await core().deleteNamespacedPod({ name: 'terminating', namespace });
      await sleep(QUOTA_SETTLE_MS + 3000);
      expect(early(), 'mlp gave up while a pod was still terminating').toBeUndefined();
      expect(await quotaRefusal(namespace)).toBeDefined();
      // Gone: the quota has room, the ReplicaSet creates the surge pod, the old one goes.
      await core().deleteNamespacedPod({ name: 'terminating', namespace, gracePeriodSeconds: 0 });
      const done = await run;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).toContain('api: rolled out (1/1 available)');
      const deployment = await apps().readNamespacedDeployment({ name: 'api', namespace });
      expect(deployment.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    },
    TIMEOUT_MS,
  );

  it(
    'a quota that leaves no room for the surge pod, with nothing terminating, fails with exit 36 once the refusal has settled',
    async () => {
      const { dir, namespace, write } = project('full', ['    env: { VARIANT: a }']);
      const first = await deploy(dir);
      expect(first.code, first.stderr).toBe(0);
      await core().createNamespacedResourceQuota({ namespace, body: { metadata: { name: 'pods' }, spec: { hard: { pods: '1' } } } });
      await waitFor('the quota to count the pod', async () => {
        const quota = await core().readNamespacedResourceQuota({ name: 'pods', namespace });
        return quota.status?.used?.pods === '1' ? true : undefined;
      });

      write(['    env: { VARIANT: b }']);
      const run = timed(deploy(dir));
      await waitFor('the quota to refuse the surge pod', () => quotaRefusal(namespace));
      const refusedAt = Date.now();
      const done = await run;
      expect(done.code, done.stderr).toBe(36);
      expect(done.stderr).toContain(`api: the ResourceQuota of namespace ${namespace} refuses the new pods.`);
      expect(done.stderr).toContain('exceeded quota');
      // Not at the first sight of the refusal, and not only at the deadline.
      expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(QUOTA_SETTLE_MS - 1500);
      expect(done.ms).toBeLessThan((DEPLOY_TIMEOUT_S * 1000) / 3);
    },
    TIMEOUT_MS,
  );

  it(
    'a pod waiting for a node rolls out when capacity frees up within the grace period (exit 0)',
    async () => {
      // The service asks for 6 CPUs. Pods of the test's own (in a namespace of their own: in the project's, the quota mlp
      // renders would count them and refuse the service's pod) take so much of each node that fewer than 6 are left even
      // if every other pod went away, and at least 3 while other suites' pods (a few hundred millicores each) run.
      const cpu = 6000;
      const { dir, namespace } = project('grace', [
        `    resources: { requests: { cpu: '${cpu}m', memory: 64Mi }, limits: { cpu: '${cpu}m', memory: 128Mi } }`,
      ]);
      const fillerNamespace = `mlp-wait-fillers-${stamp}`;
      namespaces.push(fillerNamespace);
      await core().createNamespace({ body: { metadata: { name: fillerNamespace } } });
      const fillers: string[] = [];
      // Only the nodes the service's pod may land on: a tainted one (the bench's real worker node) takes no pod of mlp's.
      for (const node of (await core().listNode()).items.filter((candidate) => (candidate.spec?.taints ?? []).length === 0)) {
        const take = cpuMillis(node.status?.allocatable?.cpu ?? '0') - (cpu - 1000);
        if (take <= 0) continue;
        const name = `filler-${node.metadata!.name}`;
        const resources = { requests: { cpu: `${take}m` }, limits: { cpu: `${take}m` } };
        await core().createNamespacedPod({
          namespace: fillerNamespace,
          body: {
            metadata: { name, namespace: fillerNamespace },
            spec: { nodeName: node.metadata!.name!, containers: [{ name: 'fill', image: 'registry.local/filler:1', resources }] },
          },
        });
        fillers.push(name);
      }

      const run = timed(deploy(dir));
      const pod = await waitFor('the scheduler to find no node for the pod', () => unschedulablePod(namespace));
      expect(pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled')?.message).toMatch(/Insufficient cpu/);
      // Well within the grace period, but long enough that mlp has seen the pod unschedulable several times.
      const early = settledEarly(run);
      await sleep(8000);
      expect(early(), 'mlp gave up on a pod waiting for a node within the grace period').toBeUndefined();
      for (const name of fillers) await core().deleteNamespacedPod({ name, namespace: fillerNamespace, gracePeriodSeconds: 0 });
      const done = await run;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).toContain('api: rolled out (1/1 available)');
      expect(done.ms).toBeLessThan(UNSCHEDULABLE_GRACE_MS);
    },
    TIMEOUT_MS,
  );

  it(
    'a pod no node can ever take fails with FailedScheduling (exit 35) only after the grace period, well before the deadline',
    async () => {
      const biggest = Math.max(...(await core().listNode()).items.map((node) => cpuMillis(node.status?.allocatable?.cpu ?? '0')));
      const cpu = biggest + 1000;
      const { dir, namespace } = project('never', [
        `    resources: { requests: { cpu: '${cpu}m', memory: 64Mi }, limits: { cpu: '${cpu}m', memory: 128Mi } }`,
      ]);
      const done = await timed(deploy(dir));
      expect(done.code, done.stderr).toBe(35);
      expect(done.stderr).toMatch(/api: pod api-\S+ cannot be scheduled \(FailedScheduling\)/);
      expect(done.stderr).toMatch(/Insufficient cpu/);
      expect(done.ms).toBeGreaterThanOrEqual(UNSCHEDULABLE_GRACE_MS);
      expect(done.ms).toBeLessThan(UNSCHEDULABLE_GRACE_MS + 30_000);
      expect(UNSCHEDULABLE_GRACE_MS + 30_000).toBeLessThan(DEPLOY_TIMEOUT_S * 1000);
    },
    TIMEOUT_MS,
  );
});

/** A CPU quantity in millicores: "250m", "2", "1.5". */
function cpuMillis(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Math.round(Number(quantity) * 1000);
}
