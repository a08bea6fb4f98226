/**
 * Server-side apply, prune, rollout watch and rollback on the bench's real control plane (kube-apiserver,
 * controller-manager, scheduler; kwok runs the pods: an image naming mlp-test-imagepullbackoff or
 * mlp-test-crashloop gets that failure, see test/bench/kube/kwok-stages.yaml).
 */
import type { KubeConfig, KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MlpError } from '../src/lib/errors.js';
import { applyObjects } from '../src/lib/kube/apply.js';
import { KubeClient } from '../src/lib/kube/client.js';
import { rollBack, watchRollout } from '../src/lib/kube/rollout.js';
import { describeWithBench, kubeconfigPath } from './support/bench.js';

const PROJECT = 'kapply';
const TIMEOUT_MS = 120_000;

describeWithBench(['kube'], 'apply, prune, rollout and rollback on the real control plane', () => {
  let kubeConfig: KubeConfig;
  let kube: KubeClient;
  let k8s: typeof import('@kubernetes/client-node');
  const namespace = `mlp-apply-${Date.now().toString(36)}`;
  const labels = { 'app.kubernetes.io/managed-by': 'mlp', 'mlp.dev/project': PROJECT, 'mlp.dev/service': 'api' };
  const never = new AbortController().signal;

  const deployment = (image: string, replicas = 2): V1Deployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api', ...labels } },
        spec: {
          containers: [
            { name: 'server', image, resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } },
          ],
        },
      },
    },
  });
  const configMap: KubernetesObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'api-env', namespace, labels },
    data: { LOG_LEVEL: 'info' },
  } as KubernetesObject;
  const apply = (objects: KubernetesObject[], extra: { dryRun?: boolean } = {}) =>
    applyObjects(kube, objects, { project: PROJECT, namespace, dryRun: extra.dryRun ?? false, prune: true });
  const watch = () => watchRollout(kube, { namespace, name: 'api', deadline: Date.now() + 90_000 }, never, () => undefined);
  const replicaSets = async () => (await kubeConfig.makeApiClient(k8s.AppsV1Api).listNamespacedReplicaSet({ namespace })).items;
  const currentImage = async () =>
    (await kubeConfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'api', namespace })).spec!.template.spec!.containers[0]!
      .image;
  const failure = async (promise: Promise<unknown>): Promise<MlpError> => {
    try {
      await promise;
    } catch (error) {
      return error as MlpError;
    }
    throw new Error('expected a failure');
  };

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    kube = await KubeClient.fromKubeConfig(kubeConfig);
    await kubeConfig.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    await kubeConfig
      ?.makeApiClient(k8s.CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
  });

  it(
    'a server-side dry run validates and persists nothing',
    async () => {
      const results = await apply([configMap, deployment('registry.local/api:v1')], { dryRun: true });
      expect(results.map((r) => r.action)).toEqual(['created', 'created']);
      expect(await replicaSets()).toEqual([]);
      const invalid = await failure(apply([{ ...configMap, metadata: { ...configMap.metadata, name: 'Not_A_Name' } }], { dryRun: true }));
      expect(invalid.exitCode).toBe(31);
      expect(invalid.message).toContain('ConfigMap/Not_A_Name');
    },
    TIMEOUT_MS,
  );

  it(
    "applies fields client-node's models name differently: a LimitRange keeps its default limits",
    async () => {
      // client-node calls LimitRange's `default` `_default`; sent as the plain API JSON mlp renders, it used to vanish.
      const limits = {
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'limits', namespace, labels },
        spec: { limits: [{ type: 'Container', defaultRequest: { cpu: '100m' }, default: { cpu: '200m' } }] },
      };
      expect(
        (await applyObjects(kube, [limits as KubernetesObject], { project: PROJECT, namespace, dryRun: false, prune: false })).map(
          (r) => r.action,
        ),
      ).toEqual(['created']);
      const live = await kubeConfig.makeApiClient(k8s.CoreV1Api).readNamespacedLimitRange({ name: 'limits', namespace });
      expect(live.spec?.limits[0]).toMatchObject({ type: 'Container', defaultRequest: { cpu: '100m' }, _default: { cpu: '200m' } });
      expect(
        (await applyObjects(kube, [limits as KubernetesObject], { project: PROJECT, namespace, dryRun: false, prune: false })).map(
          (r) => r.action,
        ),
      ).toEqual(['unchanged']);
      await kubeConfig.makeApiClient(k8s.CoreV1Api).deleteNamespacedLimitRange({ name: 'limits', namespace });
    },
    TIMEOUT_MS,
  );

  it(
    'applies, rolls out, and a re-apply with no change makes no new ReplicaSet',
    async () => {
      expect((await apply([configMap, deployment('registry.local/api:v1')])).map((r) => r.action)).toEqual(['created', 'created']);
      await watch();
      expect(await replicaSets()).toHaveLength(1);
      expect((await apply([configMap, deployment('registry.local/api:v1')])).map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
      expect(await replicaSets()).toHaveLength(1);
      const managers = (await kubeConfig.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: 'api', namespace })).metadata!
        .managedFields!;
      expect(managers.some((entry) => entry.manager === 'mlp' && entry.operation === 'Apply')).toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    'a new image is a new rollout that completes',
    async () => {
      expect((await apply([configMap, deployment('registry.local/api:v2')]))[1]!.action).toBe('configured');
      await watch();
      expect(await replicaSets()).toHaveLength(2);
    },
    TIMEOUT_MS,
  );

  it(
    "prunes the project's objects that are no longer rendered",
    async () => {
      const results = await apply([deployment('registry.local/api:v2')]);
      expect(results).toContainEqual({ kind: 'ConfigMap', name: 'api-env', namespace, action: 'pruned' });
      await expect(kubeConfig.makeApiClient(k8s.CoreV1Api).readNamespacedConfigMap({ name: 'api-env', namespace })).rejects.toMatchObject({
        code: 404,
      });
    },
    TIMEOUT_MS,
  );

  it(
    'a broken image fails with ImagePullBackOff (exit 33), and rollback restores the previous ReplicaSet',
    async () => {
      await apply([deployment('registry.local/api:mlp-test-imagepullbackoff')]);
      const error = await failure(watch());
      expect(error.exitCode).toBe(33);
      expect(error.message).toContain('ImagePullBackOff for image registry.local/api:mlp-test-imagepullbackoff');
      const restored = await rollBack(kube, namespace, 'api');
      expect(restored?.revision).toBe(2);
      await watch();
      expect(await currentImage()).toBe('registry.local/api:v2');
    },
    TIMEOUT_MS,
  );

  it(
    'crashing containers fail with CrashLoopBackOff (exit 34) and their termination message',
    async () => {
      await apply([deployment('registry.local/api:mlp-test-crashloop')]);
      const error = await failure(watch());
      expect(error.exitCode).toBe(34);
      expect(error.message).toContain('keeps crashing (CrashLoopBackOff');
      expect(error.details.join('\n')).toContain('termination message:');
      await rollBack(kube, namespace, 'api');
      await watch();
    },
    TIMEOUT_MS,
  );

  it(
    'an image for another CPU fails with exec format error (exit 37)',
    async () => {
      await apply([deployment('registry.local/api:mlp-test-crashloop-execformat')]);
      const error = await failure(watch());
      expect(error.exitCode).toBe(37);
      expect(error.message).toContain('exec format error');
      await rollBack(kube, namespace, 'api');
      await watch();
    },
    TIMEOUT_MS,
  );

  it(
    "pods no node can take fail with FailedScheduling (exit 35) and the scheduler's reason",
    async () => {
      const huge = deployment('registry.local/api:v4', 1);
      huge.spec!.template.spec!.containers[0]!.resources = {
        requests: { cpu: '500', memory: '64Mi' },
        limits: { cpu: '500', memory: '128Mi' },
      };
      await apply([huge]);
      const error = await failure(watchRollout(kube, { namespace, name: 'api', deadline: Date.now() + 8_000 }, never, () => undefined));
      expect(error.exitCode).toBe(35);
      expect(error.message).toContain('cannot be scheduled (FailedScheduling)');
      expect(error.details.join('\n')).toMatch(/Insufficient cpu/);
      // And back by revision number, as mlp rollback --to-revision does (each rollback renumbers: find v2's now).
      const v2 = (await replicaSets()).find((rs) => rs.spec?.template?.spec?.containers[0]?.image === 'registry.local/api:v2')!;
      const revision = Number(v2.metadata!.annotations!['deployment.kubernetes.io/revision']);
      const restored = await rollBack(kube, namespace, 'api', revision);
      expect(restored).toEqual({ revision, replicaSet: v2.metadata!.name });
      await watch();
      expect(await currentImage()).toBe('registry.local/api:v2');
    },
    TIMEOUT_MS,
  );

  it(
    'a quota the new pods exceed fails with exit 36',
    async () => {
      const quota = {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'tight', namespace },
        spec: { hard: { pods: '2' } },
      } as KubernetesObject;
      await kubeConfig.makeApiClient(k8s.CoreV1Api).createNamespacedResourceQuota({ namespace, body: quota as never });
      await apply([deployment('registry.local/api:v3', 3)]);
      const error = await failure(watch());
      expect(error.exitCode).toBe(36);
      expect(error.details.join('\n')).toContain('exceeded quota');
    },
    TIMEOUT_MS,
  );
});
