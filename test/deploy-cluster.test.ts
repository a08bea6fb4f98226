/**
 * `mlp deploy` to a Kubernetes cluster, end to end on the bench's control plane (reached through cluster.context in
 * the bench kubeconfig): render → server-side apply → rollout watch, a re-deploy that changes nothing, a broken
 * image that fails with its cause and is rolled back, and `mlp rollback`. kwok runs the pods, so images are never
 * pulled; an image reference containing mlp-test-imagepullbackoff is made to fail (test/bench/kube/kwok-stages.yaml).
 * These are the API server's semantics (apply, prune, revisions, rollback), fast on kwok; what a real container does
 * (pull by digest, probes, smoke test, crashes, OOMKilled, never ready) is test/deploy-real-node.test.ts on the real node.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBench, kubeconfigPath } from './support/bench.js';
import { clusterEnv, clusterProject, fakeDigest, SKIP_TO_DEPLOY, writePushedBuild } from './support/cluster-project.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_MS = 180_000;
const SKIP = SKIP_TO_DEPLOY;

describeWithBench(['kube'], 'mlp deploy --target eks on the real control plane', () => {
  let work: string;
  let project: string;
  let namespace: string;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');

  const mlp = (...args: string[]) => spawnMlp(args, { cwd: project, env: clusterEnv() });
  const pushed = (reference: string): void => writePushedBuild(project, reference);
  const digest = fakeDigest;
  const deployedImage = async (): Promise<string> =>
    (await kubeConfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'api', namespace })).spec!.template.spec!.containers[0]!
      .image!;
  const replicaSets = async () =>
    (await kubeConfig.makeApiClient(k8s.AppsV1Api).listNamespacedReplicaSet({ namespace, labelSelector: 'mlp.dev/service=api' })).items;

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    work = mkdtempSync(path.join(tmpdir(), 'mlp-cluster-'));
    namespace = `mlp-e2e-${Date.now().toString(36)}`;
    project = path.join(work, 'proj');
    mkdirSync(project);
    cpSync(path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model'), path.join(project, 'model'), { recursive: true });
    writeFileSync(path.join(project, 'mlp.yaml'), clusterProject('e2e', kubeConfig, namespace));
  });

  afterAll(async () => {
    await kubeConfig
      ?.makeApiClient(k8s.CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'renders, applies and watches the rollout until the Deployment is available',
    async () => {
      pushed(`registry.local/e2e/api@${digest(1)}`);
      const run = await mlp('deploy', ...SKIP);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`Namespace/${namespace} created`);
      expect(run.stderr).toContain('api: rolled out (2/2 available)');
      expect(await deployedImage()).toBe(`registry.local/e2e/api@${digest(1)}`);
      // The bench cluster has the Prometheus Operator's own ServiceMonitor CRD (test/bench/kube.sh), which validates it.
      expect(run.stderr).toContain(`ServiceMonitor/api in ${namespace} created`);
      const monitor = (await kubeConfig.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
        group: 'monitoring.coreos.com',
        version: 'v1',
        namespace,
        plural: 'servicemonitors',
        name: 'api',
      })) as { spec: { endpoints: Array<{ path?: string }> } };
      expect(monitor.spec.endpoints.map((endpoint) => endpoint.path)).toEqual(['/metrics']);
    },
    TIMEOUT_MS,
  );

  it(
    'a re-deploy with nothing changed changes nothing and makes no new ReplicaSet',
    async () => {
      const run = await mlp('deploy', ...SKIP);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`Deployment/api in ${namespace} unchanged`);
      expect(await replicaSets()).toHaveLength(1);
    },
    TIMEOUT_MS,
  );

  it(
    'mlp diff shows what a deploy would change, and --dry-run=server changes nothing',
    async () => {
      const same = await mlp('diff');
      expect(same.code, same.stderr).toBe(0);
      expect(same.stdout.trim()).toBe('no changes');
      pushed(`registry.local/e2e/api@${digest(2)}`);
      const changed = await mlp('diff', '--json');
      expect(changed.code, changed.stderr).toBe(0);
      const updates = JSON.parse(changed.stdout).changes.filter((c: { change: string }) => c.change !== 'none');
      expect(updates.map((c: { kind: string }) => c.kind)).toEqual(['Deployment']);
      expect(updates[0].patch).toMatch(new RegExp(`^- +image: registry.local/e2e/api@${digest(1)}$`, 'm'));
      expect(updates[0].patch).toMatch(new RegExp(`^\\+ +image: registry.local/e2e/api@${digest(2)}$`, 'm'));
      const dry = await mlp('deploy', '--dry-run=server');
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('Deployment/api: would be configured');
      expect(await deployedImage()).toBe(`registry.local/e2e/api@${digest(1)}`);
      expect(await replicaSets()).toHaveLength(1);
    },
    TIMEOUT_MS,
  );

  it(
    'a new image rolls out; a broken one fails with ImagePullBackOff (exit 33) and is rolled back',
    async () => {
      pushed(`registry.local/e2e/api@${digest(2)}`);
      expect((await mlp('deploy', ...SKIP)).code).toBe(0);
      expect(await replicaSets()).toHaveLength(2);

      pushed(`registry.local/mlp-test-imagepullbackoff/api@${digest(3)}`);
      const run = await mlp('deploy', ...SKIP);
      expect(run.code).toBe(33);
      expect(run.stderr).toContain('ImagePullBackOff for image registry.local/mlp-test-imagepullbackoff/api');
      expect(run.stderr).toContain('rolled back to revision 2');
      expect(await deployedImage()).toBe(`registry.local/e2e/api@${digest(2)}`);
    },
    TIMEOUT_MS,
  );

  it(
    '--no-rollback keeps the failed rollout for inspection; mlp rollback then restores the previous revision',
    async () => {
      const run = await mlp('deploy', ...SKIP, '--no-rollback');
      expect(run.code).toBe(33);
      expect(await deployedImage()).toContain('mlp-test-imagepullbackoff');
      const rolledBack = await mlp('rollback', 'api', '--json');
      expect(rolledBack.code, rolledBack.stderr).toBe(0);
      expect(JSON.parse(rolledBack.stdout).rolledBack[0]).toMatchObject({ service: 'api' });
      expect(await deployedImage()).toBe(`registry.local/e2e/api@${digest(2)}`);
    },
    TIMEOUT_MS,
  );

  it(
    'mlp rollback --to-revision N restores that revision, not the previous one; a revision that does not exist exits 32',
    async () => {
      // The first release (digest 1) is the oldest ReplicaSet; the previous revision is the broken image's.
      const revisionOf = async (image: string): Promise<number> => {
        const set = (await replicaSets()).find((rs) => rs.spec?.template?.spec?.containers[0]?.image === image);
        return Number(set?.metadata?.annotations?.['deployment.kubernetes.io/revision']);
      };
      const first = await revisionOf(`registry.local/e2e/api@${digest(1)}`);
      const live = await kubeConfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'api', namespace });
      const current = Number(live.metadata!.annotations!['deployment.kubernetes.io/revision']);
      expect(first).toBeGreaterThan(0);
      expect(current - 1).not.toBe(first);

      const run = await mlp('rollback', 'api', '--to-revision', String(first), '--json');
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).rolledBack).toEqual([{ service: 'api', revision: first, replicaSet: expect.stringMatching(/^api-/) }]);
      expect(await deployedImage()).toBe(`registry.local/e2e/api@${digest(1)}`);

      const missing = await mlp('rollback', 'api', '--to-revision', '999');
      expect(missing.code, missing.stderr).toBe(32);
      expect(missing.stderr).toContain('api has no revision 999 to roll back to.');
      expect(await deployedImage()).toBe(`registry.local/e2e/api@${digest(1)}`);

      const invalid = await mlp('rollback', 'api', '--to-revision', 'two');
      expect(invalid.code).toBe(2);
      expect(invalid.stderr).toContain('--to-revision two: a revision is a positive whole number.');
    },
    TIMEOUT_MS,
  );
});
