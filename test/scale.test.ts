/**
 * `mlp scale up|down` against real components: moto's EKS keeps the nodegroup's scaling config, the nodegroup
 * stand-in (test/bench/nodegroup-standin.mjs) makes kwok Nodes in the bench API server follow its desiredSize, and
 * the API server itself enforces PodDisruptionBudgets on the evictions mlp sends. The project's namespace is
 * annotated (PodNodeSelector, PodTolerationRestriction) so its pods run on the nodegroup's nodes, as a real
 * project's run on its EKS nodegroup, without changing what mlp renders.
 */
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeNodegroupCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithBench, kubeconfigPath, motoChildEnv, motoEnv } from './support/bench.js';
import { fakeDigest, SKIP_TO_DEPLOY, writePushedBuild } from './support/cluster-project.js';
import { runMlp } from './support/run-mlp.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_MS = 180_000;
const NODEGROUP_LABEL = 'eks.amazonaws.com/nodegroup';

function mlpYaml(options: { cluster: string; nodegroup: string; context: string; namespace: string; down?: string }): string {
  return [
    'apiVersion: mlp/v1',
    'name: scl',
    'cluster:',
    `  name: ${options.cluster}`,
    `  nodegroup: ${options.nodegroup}`,
    `  context: ${options.context}`,
    `  namespace: ${options.namespace}`,
    '  scaling:',
    '    up: { min: 2, max: 4, desired: 2 }',
    `    down: ${options.down ?? '{ min: 0, max: 4, desired: 0 }'}`,
    'deploy:',
    '  target: eks',
    '  timeoutSeconds: 90',
    'services:',
    '  - name: api',
    '    model: { source: dir, path: model }',
    // The bundled example's shape: 2 replicas under mlp's own budget (maxUnavailable 1).
    '    replicas: 2',
    '    autoscaling: { enabled: false }',
    '',
  ].join('\n');
}

describe('mlp scale: configuration', () => {
  it('refuses a down size whose desired is outside min..max (exit 3, naming the field)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlp-scale-config-'));
    try {
      writeFileSync(
        path.join(dir, 'mlp.yaml'),
        mlpYaml({ cluster: 'c', nodegroup: 'n', context: 'x', namespace: 'ml', down: '{ min: 0, max: 4, desired: 5 }' }),
      );
      const run = await runMlp(['scale', 'down', '--dry-run'], { cwd: dir });
      expect(run.exitCode, run.stderr).toBe(3);
      expect(run.stderr).toContain('cluster.scaling.down.desired must be between min (0) and max (4)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithBench(['kube', 'moto', 'nodegroups'], 'mlp scale up|down on moto EKS and the bench cluster', () => {
  const stamp = Date.now().toString(36);
  const cluster = `mlp-scale-${stamp}`;
  const nodegroup = `workers-${stamp}`;
  const namespace = `mlp-scale-${stamp}`;
  const other = `mlp-scale-other-${stamp}`;
  let work: string;
  let project: string;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');
  let env: Record<string, string>;
  let eks: EKSClient;
  const timings: Record<string, unknown> = {};

  const mlp = (...args: string[]) => spawnMlp(args, { cwd: project, env });
  const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);
  const nodes = async (): Promise<V1Node[]> => (await core().listNode({ labelSelector: `${NODEGROUP_LABEL}=${nodegroup}` })).items;
  const ready = (node: V1Node): boolean => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const desired = async (): Promise<number | undefined> =>
    (await eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: nodegroup }))).nodegroup?.scalingConfig
      ?.desiredSize;

  async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** A namespace whose pods all land on the nodegroup's nodes (and tolerate the stand-in's taint). */
  async function nodegroupNamespace(name: string): Promise<void> {
    await core().createNamespace({
      body: {
        metadata: {
          name,
          annotations: {
            'scheduler.alpha.kubernetes.io/node-selector': `${NODEGROUP_LABEL}=${nodegroup}`,
            'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([
              { key: 'mlp.dev/bench-nodegroup', operator: 'Exists', effect: 'NoSchedule' },
            ]),
          },
        },
      },
    });
  }

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    env = { ...motoChildEnv(), CI: 'true', KUBECONFIG: kubeconfigPath() };
    eks = new EKSClient({
      region: 'us-east-1',
      endpoint: motoEnv().AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const role = 'arn:aws:iam::123456789012:role/eks';
    await eks.send(new CreateClusterCommand({ name: cluster, roleArn: role, resourcesVpcConfig: { subnetIds: ['subnet-1'] } }));
    await eks.send(
      new CreateNodegroupCommand({
        clusterName: cluster,
        nodegroupName: nodegroup,
        nodeRole: role,
        subnets: ['subnet-1'],
        scalingConfig: { minSize: 2, maxSize: 4, desiredSize: 2 },
      }),
    );
    await waitFor('the stand-in to start 2 Ready nodes', async () => (await nodes()).filter(ready).length === 2);

    work = mkdtempSync(path.join(tmpdir(), 'mlp-scale-'));
    project = path.join(work, 'proj');
    mkdirSync(project);
    cpSync(path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model'), path.join(project, 'model'), { recursive: true });
    writeFileSync(path.join(project, 'mlp.yaml'), mlpYaml({ cluster, nodegroup, context: kubeConfig.getCurrentContext(), namespace }));
    writePushedBuild(project, `registry.local/scl/api@${fakeDigest(1)}`);
    await nodegroupNamespace(namespace);
    const deployed = await mlp('deploy', ...SKIP_TO_DEPLOY);
    expect(deployed.code, deployed.stderr).toBe(0);

    // Another team's Deployment whose budget allows no disruption at all: it blocks every drain.
    await nodegroupNamespace(other);
    const labels = { app: 'blocker' };
    await kubeConfig.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({
      namespace: other,
      body: {
        metadata: { name: 'blocker', namespace: other },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'registry.local/blocker:1' }] } },
        },
      },
    });
    await kubeConfig.makeApiClient(k8s.PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: other,
      body: { metadata: { name: 'blocker', namespace: other }, spec: { minAvailable: 2, selector: { matchLabels: labels } } },
    });
    await waitFor('the blocker to be available', async () => {
      const d = await kubeConfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'blocker', namespace: other });
      return (d.status?.availableReplicas ?? 0) === 2;
    });
    await waitFor('the budget to see 2 healthy pods', async () => {
      const pdb = await kubeConfig.makeApiClient(k8s.PolicyV1Api).readNamespacedPodDisruptionBudget({ name: 'blocker', namespace: other });
      return pdb.status?.currentHealthy === 2;
    });
  }, TIMEOUT_MS);

  afterAll(async () => {
    process.stderr.write(`mlp scale timings: ${JSON.stringify(timings)}\n`);
    for (const name of [namespace, other])
      await core?.()
        .deleteNamespace({ name })
        .catch(() => undefined);
    // The stand-in removes the nodes of a nodegroup that no longer exists.
    await eks?.send(new DeleteNodegroupCommand({ clusterName: cluster, nodegroupName: nodegroup })).catch(() => undefined);
    await eks?.send(new DeleteClusterCommand({ name: cluster })).catch(() => undefined);
    eks?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const run = await mlp('scale', 'down', '--dry-run');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`mlp scale down: nodegroup ${nodegroup} of cluster ${cluster}`);
    expect(run.stdout).toContain('min 2 → 0, desired 2 → 0, max 4');
    expect(run.stdout).toMatch(/nodes that go \(2\): ip-\S+, ip-\S+ — cordoned/);
    // Down to zero it has nowhere to go, and its own budget would refuse the last eviction: it is parked instead.
    expect(run.stdout).toContain(
      `Deployment ${namespace}/api (mlp service api): scaled to 0 first (it runs only on these nodes); mlp scale up gives its 2 back`,
    );
    expect(run.stdout).toContain(`Deployment ${other}/blocker: loses 2 of 2 pods; PodDisruptionBudget blocker (minAvailable 2)`);
    expect(run.stdout).toContain('dry run: nothing was changed');
    expect((await nodes()).map((n) => n.spec?.unschedulable ?? false)).toEqual([false, false]);
    expect(await desired()).toBe(2);
  });

  it('refuses to drain without --yes when there is no terminal to ask on (exit 2)', async () => {
    const run = await mlp('scale', 'down');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('there is no terminal to confirm on: pass --yes');
    expect(run.stderr).toContain('nodes that go (2)'); // the plan was printed first
    expect((await nodes()).map((n) => n.spec?.unschedulable ?? false)).toEqual([false, false]);
  });

  it(
    'stops at a blocking PodDisruptionBudget (exit 72), leaves the nodes cordoned, and Ctrl-C while draining says so (exit 130)',
    async () => {
      const started = Date.now();
      const run = await mlp('scale', 'down', '--yes', '--drain-timeout', '10');
      timings.blockedRunSeconds = (Date.now() - started) / 1000;
      expect(run.code, run.stderr).toBe(72);
      expect(run.stderr).toContain(`PodDisruptionBudget ${other}/blocker (minAvailable 2) kept refusing evictions for 10 s`);
      expect(run.stderr).toMatch(/stay cordoned; run mlp scale down again to continue/);
      const counts = /(\d+) pod\(s\) evicted, (\d+) eviction request\(s\) refused/.exec(run.stderr);
      expect(counts, run.stderr).not.toBeNull();
      timings.blockedEvicted = Number(counts![1]);
      timings.blockedRefused = Number(counts![2]);
      expect(timings.blockedRefused).toBeGreaterThanOrEqual(2);
      expect((await nodes()).map((n) => n.spec?.unschedulable)).toEqual([true, true]);
      expect(await desired()).toBe(2);

      const controller = new AbortController();
      setTimeout(() => controller.abort(), 3000);
      const interrupted = await runMlp(['scale', 'down', '--yes'], { cwd: project, env, signal: controller.signal });
      expect(interrupted.exitCode, interrupted.stderr).toBe(130);
      expect(interrupted.stderr).toMatch(/Interrupted while draining; nodes ip-\S+, ip-\S+ stay cordoned/);
      expect((await nodes()).map((n) => n.spec?.unschedulable)).toEqual([true, true]);
    },
    TIMEOUT_MS,
  );

  it(
    'once the budget is relaxed a re-run drains, scales moto to 0 and waits until the nodes are gone',
    async () => {
      await kubeConfig.makeApiClient(k8s.PolicyV1Api).patchNamespacedPodDisruptionBudget({
        name: 'blocker',
        namespace: other,
        body: [{ op: 'replace', path: '/spec/minAvailable', value: 0 }],
      });
      const started = Date.now();
      const run = await mlp('scale', 'down', '--yes', '--json');
      timings.downSeconds = (Date.now() - started) / 1000;
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as {
        ok: boolean;
        going: string[];
        evictions: { evicted: number };
        timings: Record<string, number>;
      };
      timings.down = result.timings;
      expect(result.ok).toBe(true);
      expect(result.going).toHaveLength(2);
      expect(result.evictions.evicted).toBeGreaterThanOrEqual(2);
      expect(await nodes()).toEqual([]);
      expect(await desired()).toBe(0);
      // The service was parked for the night, not left with pods that have no node to run on.
      const api = await kubeConfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'api', namespace });
      expect(api.spec?.replicas).toBe(0);
      expect(api.metadata?.annotations?.['mlp.dev/replicas-before-scale-down']).toBe('2');
    },
    TIMEOUT_MS,
  );

  it(
    'scale up brings the nodes back Ready and waits for the services, printing how long each part took',
    async () => {
      const started = Date.now();
      const run = await mlp('scale', 'up');
      timings.upSeconds = (Date.now() - started) / 1000;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`nodegroup ${nodegroup}: scaled up to min 2, desired 2, max 4 (2 nodes)`);
      expect(run.stdout).toContain('api: 2 replicas again');
      expect(run.stdout).toContain('api: 2/2 available');
      expect(run.stdout).toMatch(/took [\d.]+ s: nodegroup update [\d.]+ s, nodes Ready [\d.]+ s, services available [\d.]+ s/);
      timings.upLine = /took .*/.exec(run.stdout)?.[0];
      const now = await nodes();
      expect(now.filter(ready)).toHaveLength(2);
      expect(now.map((n) => n.spec?.unschedulable ?? false)).toEqual([false, false]);
      expect(await desired()).toBe(2);
      const api = await kubeConfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'api', namespace });
      expect(api.spec?.replicas).toBe(2);
      expect(api.metadata?.annotations ?? {}).not.toHaveProperty(['mlp.dev/replicas-before-scale-down']);
    },
    TIMEOUT_MS,
  );

  it('says the cluster does not answer (exit 6) and changes nothing', async () => {
    const dead = path.join(work, 'dead-kubeconfig');
    writeFileSync(
      dead,
      readFileSync(kubeconfigPath(), 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'),
    );
    const run = await spawnMlp(['scale', 'down', '--yes'], { cwd: project, env: { ...env, KUBECONFIG: dead } });
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr).toContain('Cannot reach the cluster (kubeconfig context');
    expect(await desired()).toBe(2);
  });

  it('names the nodegroups that exist when the one asked for does not (exit 70)', async () => {
    const run = await mlp('scale', 'down', '--nodegroup', 'nope', '--dry-run');
    expect(run.code, run.stderr).toBe(70);
    expect(run.stderr).toContain(`Cluster ${cluster} has no nodegroup nope.`);
    expect(run.stderr).toContain(`nodegroups in ${cluster}: ${nodegroup}`);
  });
});
