/**
 * The bench's Kubernetes control plane (test/bench/kube.sh): real etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler, with kwok playing the kubelet of two fake nodes. Checks what `mlp deploy` will rely on: rollouts,
 * the failure modes made by test/bench/kube/kwok-stages.yaml, quota admission and server-side apply.
 * Waits poll with generous deadlines; nothing here asserts how fast anything is. A bench self-check: it tests the
 * bench, not mlp, and the summary reporter counts it apart from mlp's tests.
 */
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1ContainerState,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBench, kubeconfigPath } from '../support/bench.js';

const DEADLINE_MS = 90_000;

/** Poll `probe` every 500 ms until it returns something other than undefined; fail with `what` after the deadline. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = DEADLINE_MS): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) throw new Error(`gave up after ${deadlineMs / 1000} s waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function deployment(name: string, replicas: number, image: string): V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image, resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
      },
    },
  };
}

describeWithBench(['kube'], 'bench self-check: Kubernetes (real control plane, kwok nodes)', () => {
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let batch: BatchV1Api;
  let objects: KubernetesObjectApi;
  const namespaces: string[] = [];

  /** A fresh namespace whose default ServiceAccount exists (pods are refused until the controller makes it). */
  async function freshNamespace(purpose: string): Promise<string> {
    const name = `mlp-bench-${purpose}-${randomBytes(3).toString('hex')}`;
    await core.createNamespace({ body: { metadata: { name, labels: { 'mlp.bench/test': 'kube-bench' } } } });
    namespaces.push(name);
    await until(`ServiceAccount default in ${name}`, async () => core.readNamespacedServiceAccount({ name: 'default', namespace: name }));
    return name;
  }

  /** The first container's state once `accept` says it is the one expected. */
  async function containerState(namespace: string, pod: string, accept: (s: V1ContainerState, p: V1Pod) => boolean) {
    return until(`pod ${namespace}/${pod} to reach the expected container state`, async () => {
      const p = await core.readNamespacedPod({ name: pod, namespace });
      const status = p.status?.containerStatuses?.[0];
      return status?.state && accept(status.state, p) ? { pod: p, status } : undefined;
    });
  }

  beforeAll(() => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath());
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    objects = KubernetesObjectApi.makeApiClient(kc);
  });

  afterAll(async () => {
    // Deleting a namespace returns at once; the namespace controller and kwok finish the job in the background.
    await Promise.allSettled(namespaces.map((name) => core.deleteNamespace({ name })));
  });

  it('has two Ready kwok nodes with the m5.xlarge shape', async () => {
    const nodes = await core.listNode({ labelSelector: 'type=kwok' });
    const names = nodes.items.map((n) => n.metadata?.name).sort();
    expect(names).toEqual(['kwok-node-0', 'kwok-node-1']);
    for (const node of nodes.items) {
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(node.metadata?.labels).toMatchObject({ 'kubernetes.io/arch': 'amd64', 'node.kubernetes.io/instance-type': 'm5.xlarge' });
      expect(node.status?.allocatable).toMatchObject({ cpu: '8', memory: '32Gi', pods: '110' });
    }
  });

  it('rolls out a 2-replica Deployment: a ReplicaSet and 2 Ready pods', async () => {
    const namespace = await freshNamespace('rollout');
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 2, 'registry.example/mlp/web:1') });
    const available = await until('Deployment web to be available', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace });
      const ok =
        d.status?.availableReplicas === 2 && d.status.updatedReplicas === 2 && d.status.observedGeneration === d.metadata?.generation;
      return ok ? d : undefined;
    });
    expect(available.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    const sets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
    expect(sets.items).toHaveLength(1);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('puts a pod whose image contains mlp-test-imagepullbackoff into ImagePullBackOff, never Ready', async () => {
    const namespace = await freshNamespace('pull');
    const image = 'registry.example/mlp-test-imagepullbackoff:1';
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'broken' }, spec: { containers: [{ name: 'app', image }] } } });
    const { pod, status } = await containerState(namespace, 'broken', (s) => s.waiting?.reason === 'ImagePullBackOff');
    expect(status.state?.waiting?.message).toContain(image);
    expect(status.ready).toBe(false);
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('puts a pod whose image contains mlp-test-crashloop into CrashLoopBackOff after an exit 1', async () => {
    const namespace = await freshNamespace('crash');
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name: 'crash' }, spec: { containers: [{ name: 'app', image: 'registry.example/mlp-test-crashloop:1' }] } },
    });
    const { pod, status } = await containerState(namespace, 'crash', (s) => s.waiting?.reason === 'CrashLoopBackOff');
    expect(status.lastState?.terminated?.exitCode).toBe(1);
    expect(status.lastState?.terminated?.message).toBeTruthy();
    expect(status.restartCount).toBeGreaterThan(0);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('runs a Job to completion', async () => {
    const namespace = await freshNamespace('job');
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'train' },
        spec: {
          backoffLimit: 0,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'train', image: 'registry.example/mlp/train:1' }] } },
        },
      },
    });
    const job = await until('Job train to complete', async () => {
      const j = await batch.readNamespacedJob({ name: 'train', namespace });
      return j.status?.succeeded === 1 ? j : undefined;
    });
    expect(job.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
  });

  it('enforces a ResourceQuota: the second pod of a 2-replica Deployment is refused (FailedCreate)', async () => {
    const namespace = await freshNamespace('quota');
    await core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: 'pods' }, spec: { hard: { pods: '1' } } } });
    // Admission refuses every pod while the quota controller has not computed the quota's status yet.
    await until('the quota status to be computed', async () => {
      const q = await core.readNamespacedResourceQuota({ name: 'pods', namespace });
      return q.status?.hard?.pods ? q : undefined;
    });
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 2, 'registry.example/mlp/web:1') });
    const failure = await until('the ReplicaSet to report ReplicaFailure', async () => {
      const sets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
      const c = sets.items[0]?.status?.conditions?.find((x) => x.type === 'ReplicaFailure' && x.status === 'True');
      return c?.message?.includes('exceeded quota') ? c : undefined;
    });
    expect(failure.reason).toBe('FailedCreate');
    expect(failure.message).toMatch(/exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1/);
  });

  it("server-side applies with fieldManager 'mlp', dry-run first", async () => {
    const namespace = await freshNamespace('apply');
    const manifest: V1Deployment = { ...deployment('api', 1, 'registry.example/mlp/api:1'), metadata: { name: 'api', namespace } };
    const dry = await objects.patch(manifest, undefined, 'All', 'mlp', true, PatchStrategy.ServerSideApply);
    expect(dry.metadata?.name).toBe('api');
    await expect(apps.readNamespacedDeployment({ name: 'api', namespace })).rejects.toMatchObject({ code: 404 });

    const applied = await objects.patch(manifest, undefined, undefined, 'mlp', true, PatchStrategy.ServerSideApply);
    expect(applied.metadata?.managedFields?.some((f) => f.manager === 'mlp' && f.operation === 'Apply')).toBe(true);
    const read = await apps.readNamespacedDeployment({ name: 'api', namespace });
    expect(read.spec?.template.spec?.containers[0]?.image).toBe('registry.example/mlp/api:1');
  });

  it('accepts the other kinds mlp renders: HPA (autoscaling/v2), PDB, NetworkPolicy, Ingress', async () => {
    const namespace = await freshNamespace('kinds');
    const selector = { matchLabels: { app: 'api' } };
    const manifests: KubernetesObject[] = [
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'api', namespace },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        },
      } as KubernetesObject,
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'api', namespace },
        spec: { minAvailable: 1, selector },
      } as KubernetesObject,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'api', namespace },
        spec: { podSelector: selector, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080 }] }] },
      } as KubernetesObject,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'api', namespace },
        spec: {
          rules: [
            {
              host: 'api.example',
              http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } }] },
            },
          ],
        },
      } as KubernetesObject,
    ];
    for (const manifest of manifests) {
      const applied = await objects.patch(manifest, undefined, undefined, 'mlp', true, PatchStrategy.ServerSideApply);
      expect(applied.kind).toBe(manifest.kind);
      expect(applied.metadata?.uid).toBeTruthy();
    }
  });
});
