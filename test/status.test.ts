/**
 * `mlp status` against real components: a service mlp deployed onto the bench cluster's REAL node (its pods run real
 * containers from the image mlp pushed to the bench registry), an EKS cluster and nodegroup in moto (its nodes are
 * the kwok Nodes the bench's nodegroup stand-in keeps at desiredSize, since moto has no EC2), and a container on the
 * local Docker engine. Each state is made the way it happens: a broken image applied through the API stalls the
 * rollout, UpdateNodegroupConfig scales the nodegroup to zero, `docker stop` stops the container.
 */
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  EKSClient,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, createRealNodeNamespace, describeWithBench, kubeconfigPath, motoEndpoint, motoEnv } from './support/bench.js';
import { clusterEnv } from './support/cluster-project.js';
import { MLP_BIN, spawnMlp, type ProcessRun } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE_MODEL = path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model');
/** Building and pushing the serving image from a cold cache takes minutes on this machine. */
const FIRST_DEPLOY_MS = 900_000;
const TIMEOUT_MS = 180_000;
const NODEGROUP_LABEL = 'eks.amazonaws.com/nodegroup';

/** The JSON documents on stdout: exactly one, healthy or not, is what --json promises. */
function jsonDocuments(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split(/\n(?=\{)/)
    .filter((part) => part.trim() !== '')
    .map((part) => JSON.parse(part) as Record<string, unknown>);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await probe();
    if (found !== undefined) return found;
    await sleep(1000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeWithBench(
  ['docker', 'registry', 'baseImage', 'buildx', 'kube', 'node', 'moto', 'nodegroups'],
  'mlp status on the cluster (real node, moto EKS)',
  () => {
    const id = Date.now().toString(36);
    const namespace = `mlp-status-${id}`;
    const eksCluster = `mlp-status-${id}`;
    const nodegroup = `workers-${id}`;
    let work: string;
    let project: string;
    let kubeConfig: KubeConfig;
    let k8s: typeof import('@kubernetes/client-node');
    let eks: EKSClient;

    const env = (): Record<string, string> => ({ ...clusterEnv(), ...motoEnv() });
    const mlp = (...args: string[]): Promise<ProcessRun> => spawnMlp(['--profile', 'bench-cluster', ...args], { cwd: project, env: env() });
    const core = () => kubeConfig.makeApiClient(k8s.CoreV1Api);
    const apps = () => kubeConfig.makeApiClient(k8s.AppsV1Api);
    const deployment = (): Promise<V1Deployment> => apps().readNamespacedDeployment({ name: 'api', namespace });
    const pushed = () =>
      JSON.parse(readFileSync(path.join(project, '.mlp', 'builds', 'api.json'), 'utf8')).pushed as {
        digest: string;
        reference: string;
        tags: string[];
      };

    beforeAll(async () => {
      k8s = await import('@kubernetes/client-node');
      kubeConfig = new k8s.KubeConfig();
      kubeConfig.loadFromFile(kubeconfigPath());
      work = mkdtempSync(path.join(tmpdir(), 'mlp-status-'));
      project = path.join(work, 'scoring');
      mkdirSync(project);
      cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
      writeFileSync(
        path.join(project, 'mlp.yaml'),
        [
          'apiVersion: mlp/v1',
          'name: scoring',
          'services:',
          '  - name: api',
          '    model: { source: dir, path: model }',
          'profiles:',
          '  - name: bench-cluster',
          '    build:',
          `      baseImage: ${benchStatus().baseImage.image}`,
          '    registry:',
          '      type: generic',
          `      url: ${benchStatus().registry.url}/${namespace}`,
          '    cluster:',
          `      name: ${eksCluster}`,
          `      nodegroup: ${nodegroup}`,
          `      context: ${kubeConfig.getCurrentContext()}`,
          `      namespace: ${namespace}`,
          '    deploy:',
          '      target: eks',
          '      timeoutSeconds: 120',
          '    services:',
          '      - name: api',
          '        replicas: 2',
          '        autoscaling: { enabled: false }',
          '',
        ].join('\n'),
      );
      await createRealNodeNamespace(kubeConfig, namespace);

      eks = new EKSClient({
        region: 'us-east-1',
        endpoint: motoEndpoint(),
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      await eks.send(
        new CreateClusterCommand({
          name: eksCluster,
          roleArn: 'arn:aws:iam::123456789012:role/eks',
          resourcesVpcConfig: { subnetIds: ['subnet-1'] },
        }),
      );
      await eks.send(
        new CreateNodegroupCommand({
          clusterName: eksCluster,
          nodegroupName: nodegroup,
          nodeRole: 'arn:aws:iam::123456789012:role/nodes',
          subnets: ['subnet-1'],
          amiType: 'AL2_x86_64',
          scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 3 },
        }),
      );
      // The bench's nodegroup stand-in (test/bench/nodegroup-standin.mjs) makes its one node, as EC2 and the kubelet would.
      await until('the nodegroup node to be Ready', async () => {
        const nodes = (await core().listNode({ labelSelector: `${NODEGROUP_LABEL}=${nodegroup}` })).items;
        const ready = nodes.filter((node) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return nodes.length === 1 && ready.length === 1 ? true : undefined;
      });
    }, TIMEOUT_MS);

    afterAll(async () => {
      await core()
        .deleteNamespace({ name: namespace })
        .catch(() => undefined);
      await eks
        ?.send(new DeleteNodegroupCommand({ clusterName: eksCluster, nodegroupName: nodegroup }))
        .then(() => eks.send(new DeleteClusterCommand({ name: eksCluster })))
        .catch(() => undefined);
      eks?.destroy();
      rmSync(work, { recursive: true, force: true });
    });

    it(
      'a healthy service: exit 0 with its image digest, model version, 2/2 available, revision, endpoint and the nodegroup',
      async () => {
        const deployed = await mlp('deploy', '--skip-test');
        expect(deployed.code, deployed.stderr).toBe(0);
        const live = await deployment();
        const version = live.metadata!.labels!['app.kubernetes.io/version']!;
        expect(version).toBeTruthy();

        const run = await mlp('status');
        expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
        const { digest, reference } = pushed();
        expect(run.stdout).toContain(`Namespace ${namespace} on kubeconfig context ${kubeConfig.getCurrentContext()}`);
        expect(run.stdout).toContain('api  healthy');
        expect(run.stdout).toContain(`image       ${reference}`);
        expect(run.stdout).toContain(digest);
        expect(run.stdout).toContain(`version     ${version}`);
        expect(run.stdout).toContain('replicas    2/2 available · 2 ready · 2 updated · 2 desired');
        expect(run.stdout).toContain('rollout     complete');
        expect(run.stdout).toMatch(/deployed {4}revision 1 · \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+ (s|min) ago\)/);
        expect(run.stdout).toMatch(
          new RegExp(`endpoint {4}http://api\\.${namespace}\\.svc \\(ClusterIP \\d+\\.\\d+\\.\\d+\\.\\d+:80; inside the cluster only\\)`),
        );
        expect(run.stdout).toContain(
          `nodegroup ${nodegroup} (EKS cluster ${eksCluster}): ACTIVE · min 1 / desired 1 / max 3 · 1/1 nodes Ready`,
        );
        expect(run.stderr).toBe('');
      },
      FIRST_DEPLOY_MS,
    );

    it(
      '--json prints one document {services, nodegroup, healthy}, with the autoscaler when there is one',
      async () => {
        // An HPA that cannot change anything (min = max = the replicas), as mlp renders one when autoscaling is on.
        const autoscaling = kubeConfig.makeApiClient(k8s.AutoscalingV2Api);
        await autoscaling.createNamespacedHorizontalPodAutoscaler({
          namespace,
          body: {
            metadata: { name: 'api' },
            spec: {
              scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
              minReplicas: 2,
              maxReplicas: 2,
              metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
            },
          },
        });
        try {
          const run = await mlp('status', 'api', '--json');
          expect(run.code, run.stderr).toBe(0);
          const documents = jsonDocuments(run.stdout);
          expect(documents).toHaveLength(1);
          const { digest } = pushed();
          expect(documents[0]).toMatchObject({
            ok: true,
            target: 'eks',
            namespace,
            healthy: true,
            services: [
              {
                service: 'api',
                healthy: true,
                problems: [],
                image: { digest, reference: pushed().reference },
                version: (await deployment()).metadata!.labels!['app.kubernetes.io/version'],
                replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
                rollout: { state: 'complete', reason: null },
                autoscaler: { min: 2, max: 2, metrics: [{ resource: 'cpu', target: 70 }] },
                lastDeploy: { revision: 1, at: expect.stringMatching(/^\d{4}-/) },
                endpoint: { kind: 'cluster-ip', url: `http://api.${namespace}.svc` },
              },
            ],
            nodegroup: {
              name: nodegroup,
              cluster: eksCluster,
              status: 'ACTIVE',
              scaling: { min: 1, desired: 1, max: 3 },
              nodes: { ready: 1, total: 1 },
              healthy: true,
            },
          });
        } finally {
          await autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name: 'api', namespace });
        }
      },
      TIMEOUT_MS,
    );

    it(
      'a service mlp.yaml does not have is a usage error naming those it has',
      async () => {
        const run = await mlp('status', 'apj');
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain('mlp.yaml has no service apj (did you mean api?).');
        expect(run.stderr).toContain('hint: services: api');
      },
      TIMEOUT_MS,
    );

    it(
      '--watch prints the status again every 2 s until Ctrl-C, as plain blocks when stdout is not a terminal',
      async () => {
        const child = spawn(process.execPath, [MLP_BIN, '--profile', 'bench-cluster', 'status', '--watch'], {
          cwd: project,
          env: env(),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        try {
          await until('two refreshes', async () => ((stdout.match(/^--- /gm) ?? []).length >= 2 ? true : undefined), 60_000);
        } catch (error) {
          child.kill('SIGKILL');
          throw new Error(`${(error as Error).message}; stdout: ${stdout}; stderr: ${stderr}`);
        }
        child.kill('SIGINT');
        expect(await exited, stderr).toBe(0);
        expect(stdout).toMatch(/^--- \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ · every 2 s · Ctrl-C to stop$/m);
        expect((stdout.match(/^api {2}healthy$/gm) ?? []).length).toBeGreaterThanOrEqual(2);
        expect(stdout).not.toContain('\x1b[');
      },
      TIMEOUT_MS,
    );

    it(
      'a nodegroup at desired size 0 exits 42, after printing the whole table',
      async () => {
        await eks.send(
          new UpdateNodegroupConfigCommand({
            clusterName: eksCluster,
            nodegroupName: nodegroup,
            scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 3 },
          }),
        );
        try {
          const run = await mlp('status');
          expect(run.code, run.stderr).toBe(42);
          expect(run.stdout).toContain('api  healthy');
          expect(run.stdout).toContain(`nodegroup ${nodegroup} (EKS cluster ${eksCluster}): scaled to zero · min 0 / desired 0 / max 3`);
          expect(run.stderr).toContain(`error: Nodegroup ${nodegroup} is scaled to zero nodes; no service can run.`);
          expect(run.stderr).toContain('hint: mlp scale up');
        } finally {
          await eks.send(
            new UpdateNodegroupConfigCommand({
              clusterName: eksCluster,
              nodegroupName: nodegroup,
              scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 3 },
            }),
          );
        }
      },
      TIMEOUT_MS,
    );

    it(
      'an image the node cannot pull stalls the rollout: exit 41 with ProgressDeadlineExceeded and the pod’s reason',
      async () => {
        const live = await deployment();
        live.spec!.progressDeadlineSeconds = 10;
        live.spec!.template.spec!.containers[0]!.image = `${benchStatus().registry.url}/${namespace}/api:does-not-exist`;
        await apps().replaceNamespacedDeployment({ name: 'api', namespace, body: live });
        await until(
          'the controller to give up on the rollout',
          async () => {
            const now = await deployment();
            const stalled = now.status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
            return stalled ? true : undefined;
          },
          120_000,
        );
        const run = await until('the pod to report the failed pull', async () => {
          const attempt = await mlp('status');
          return /ErrImagePull|ImagePullBackOff/.test(attempt.stdout) ? attempt : undefined;
        });
        expect(run.code, run.stderr).toBe(41);
        expect(run.stdout).toContain('api  degraded');
        expect(run.stdout).toContain('rollout     stalled (ProgressDeadlineExceeded)');
        // The old pods still serve: maxUnavailable 0 keeps them while the new one cannot start.
        expect(run.stdout).toContain('replicas    2/2 available');
        expect(run.stdout).toMatch(
          /problem {5}rollout stalled \(ProgressDeadlineExceeded\): ReplicaSet "api-[a-z0-9]+" has timed out progressing\./,
        );
        expect(run.stdout).toMatch(
          new RegExp(`problem {5}pod api-[a-z0-9-]+: (ErrImagePull|ImagePullBackOff) for image .*/api:does-not-exist\\.`),
        );
        expect(run.stderr).toContain('error: 1 of 1 service degraded: api.');
        expect(run.stderr).toContain('api: rollout stalled (ProgressDeadlineExceeded)');
        expect(run.stderr).toContain(
          `hint: kubectl -n ${namespace} describe deployment api shows more; mlp rollback api restores the previous revision`,
        );

        const json = await mlp('status', '--json');
        expect(json.code).toBe(41);
        const documents = jsonDocuments(json.stdout);
        expect(documents).toHaveLength(1);
        expect(documents[0]).toMatchObject({
          ok: false,
          error: { kind: 'degraded', exitCode: 41 },
          healthy: false,
          services: [
            {
              service: 'api',
              healthy: false,
              rollout: {
                state: 'stalled',
                reason: 'ProgressDeadlineExceeded',
                cause: expect.stringMatching(/ErrImagePull|ImagePullBackOff/),
              },
            },
          ],
        });
      },
      TIMEOUT_MS,
    );

    it(
      'a cluster that does not answer is a prerequisite error (exit 6)',
      async () => {
        const dead = path.join(work, 'dead-kubeconfig');
        const config = new k8s.KubeConfig();
        config.loadFromOptions({
          clusters: [{ name: 'dead', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
          users: [{ name: 'dead', token: 'x' }],
          contexts: [{ name: 'dead', cluster: 'dead', user: 'dead' }],
          currentContext: 'dead',
        });
        writeFileSync(dead, config.exportConfig());
        const deadProject = path.join(work, 'dead-project');
        mkdirSync(deadProject, { recursive: true });
        writeFileSync(
          path.join(deadProject, 'mlp.yaml'),
          readFileSync(path.join(project, 'mlp.yaml'), 'utf8').replace(`context: ${kubeConfig.getCurrentContext()}`, 'context: dead'),
        );
        const unreachable = await spawnMlp(['--profile', 'bench-cluster', 'status'], {
          cwd: deadProject,
          env: { ...env(), KUBECONFIG: dead },
        });
        expect(unreachable.code, unreachable.stderr).toBe(6);
        expect(unreachable.stderr).toContain('error: The cluster does not answer (kubeconfig context dead: ECONNREFUSED).');
      },
      TIMEOUT_MS,
    );
  },
);

describeWithBench(['docker', 'baseImage', 'buildx'], 'mlp status on the local target', () => {
  let work: string;
  let project: string;
  let name: string;
  let port: number;
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    CI: 'true',
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
  };
  const mlp = (...args: string[]): Promise<ProcessRun> => spawnMlp(args, { cwd: project, env });
  const container = (): string => `mlp-${name}-api`;

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-status-local-'));
    name = `s${Date.now().toString(36)}`;
    port = 20_000 + Math.floor(Math.random() * 20_000);
    project = path.join(work, name);
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      `apiVersion: mlp/v1\nname: ${name}\nbuild:\n  baseImage: ${benchStatus().baseImage.image}\ndeploy:\n  target: local\n  timeoutSeconds: 60\nservices:\n  - name: api\n    model: { source: dir, path: model }\n    port: ${port}\n`,
    );
  });

  afterAll(() => {
    for (const c of [container(), `${container()}-previous`]) execFileSync('docker', ['rm', '-f', c], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'a running, ready container: exit 0 with its image, ports and endpoint',
    async () => {
      const deployed = await mlp('deploy');
      expect(deployed.code, deployed.stderr).toBe(0);
      const run = await mlp('status');
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('Target local');
      expect(run.stdout).toContain('api  healthy');
      expect(run.stdout).toMatch(new RegExp(`image {7}${name}/api:[0-9a-f]+ \\(id [0-9a-f]{12}\\)`));
      const label = execFileSync(
        'docker',
        ['container', 'inspect', '--format', '{{index .Config.Labels "org.opencontainers.image.version"}}', container()],
        { encoding: 'utf8' },
      ).trim();
      expect(label).not.toBe('');
      expect(run.stdout).toContain(`version     ${label}`);
      expect(run.stdout).toMatch(
        new RegExp(`container {3}${container()}: running, (starting|healthy), ready · 8080/tcp → 127\\.0\\.0\\.1:${port}`),
      );
      expect(run.stdout).toContain(`endpoint    http://127.0.0.1:${port}`);

      const json = await mlp('status', '--json');
      expect(json.code).toBe(0);
      expect(jsonDocuments(json.stdout)).toEqual([
        expect.objectContaining({
          ok: true,
          target: 'local',
          healthy: true,
          nodegroup: null,
          services: [
            expect.objectContaining({
              service: 'api',
              healthy: true,
              container: expect.objectContaining({ name: container(), state: 'running', ready: true }),
              endpoint: { kind: 'local', url: `http://127.0.0.1:${port}`, address: `127.0.0.1:${port}` },
            }),
          ],
        }),
      ]);
    },
    FIRST_DEPLOY_MS,
  );

  it(
    'a stopped container exits 41, naming its state and exit code',
    async () => {
      execFileSync('docker', ['stop', '--time', '5', container()], { stdio: 'ignore' });
      const run = await mlp('status');
      expect(run.code, run.stderr).toBe(41);
      expect(run.stdout).toContain('api  degraded');
      expect(run.stdout).toMatch(new RegExp(`container {3}${container()}: exited`));
      expect(run.stdout).toMatch(/problem {5}container .* is not running \(exited, exit code \d+\)/);
      expect(run.stderr).toContain('error: 1 of 1 service degraded: api.');
      expect(run.stderr).toContain(`hint: docker logs ${container()} shows why; mlp deploy --target local replaces it`);

      execFileSync('docker', ['rm', '-f', container()], { stdio: 'ignore' });
      const missing = await mlp('status');
      expect(missing.code).toBe(41);
      expect(missing.stdout).toContain(`problem     no container ${container()} (not deployed on this machine)`);
      expect(missing.stderr).toContain('hint: mlp deploy --target local starts it');
    },
    TIMEOUT_MS,
  );
});
