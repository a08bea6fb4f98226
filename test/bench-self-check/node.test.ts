/**
 * The bench's real worker node (test/bench/node.sh): a kubelet built from the API server's own k8s.io/kubernetes
 * module, with its own containerd, runc and the bridge CNI. Proves that containers really run there: an image built
 * FROM the bench base image and pushed to the bench registry is pulled by digest, runs as a non-root user with a
 * read-only root filesystem, turns Ready through a real HTTP readiness probe, and answers through a real port-forward
 * (API server → kubelet → containerd). Also that pods which do not tolerate the node's taint stay off it.
 * A bench self-check: it tests the bench, not mlp, and the summary reporter counts it apart from mlp's tests.
 */
import { CoreV1Api, KubeConfig, PortForward, type V1Pod } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench, kubeconfigPath } from '../support/bench.js';

const exec = promisify(execFile);
const DEADLINE_MS = 120_000;
const LABEL = { key: 'mlp.dev/bench-node', value: 'real' };
const TAINT_KEY = 'mlp.dev/real-node';
const PORT = 8080;

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

// The server the pod runs: /ready counts the kubelet's probes, /whoami says what the process sees of its sandbox.
const SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
let probes = 0;
http.createServer((req, res) => {
  if (req.url === '/ready') { probes++; res.end('ok'); return; }
  let rootWrite = 'written';
  try { fs.writeFileSync('/bench-probe', 'x'); } catch (e) { rootWrite = e.code; }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), hostname: os.hostname(), probes, rootWrite, marker: process.env.BENCH_MARKER }));
}).listen(${PORT}, () => console.log('bench node check listening on ${PORT}'));
`;

/** GET `path` on the pod's port through the API server's pods/portforward, as kubectl port-forward does. */
async function throughPortForward(kc: KubeConfig, namespace: string, pod: string, path: string): Promise<Response> {
  const forward = new PortForward(kc);
  const streams: { close(): void }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    forward
      .portForward(namespace, pod, [PORT], socket, null, socket)
      .then((opened) => {
        const stream = typeof opened === 'function' ? opened() : opened;
        if (stream) streams.push(stream);
      })
      .catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(15_000) });
    const body = await res.arrayBuffer();
    return new Response(body, { status: res.status, headers: res.headers });
  } finally {
    for (const socket of sockets) socket.destroy();
    for (const stream of streams) stream.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describeWithBench(['kube', 'node', 'docker', 'baseImage', 'registry'], 'bench self-check: real node (kubelet + containerd)', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let nodeName: string;
  const namespace = `mlp-bench-node-${randomBytes(3).toString('hex')}`;
  const tag = `t${process.pid}-${Date.now()}`;
  let remote = '';
  let buildDir: string | undefined;

  const onRealNode = (name: string, image: string, extra: Partial<V1Pod['spec']> = {}): V1Pod => ({
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      automountServiceAccountToken: false,
      nodeSelector: { [LABEL.key]: LABEL.value },
      tolerations: [{ key: TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' }],
      securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 },
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'web',
          image,
          env: [{ name: 'BENCH_MARKER', value: namespace }],
          ports: [{ containerPort: PORT }],
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          readinessProbe: { httpGet: { path: '/ready', port: PORT }, periodSeconds: 1, failureThreshold: 3 },
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        },
      ],
      ...extra,
    },
  });

  beforeAll(async () => {
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath());
    core = kc.makeApiClient(CoreV1Api);
    nodeName = benchStatus().node.name!;
    await core.createNamespace({ body: { metadata: { name: namespace, labels: { 'mlp.bench/test': 'node-bench' } } } });
    await until(`ServiceAccount default in ${namespace}`, async () => core.readNamespacedServiceAccount({ name: 'default', namespace }));

    // The image: FROM the bench base image, no network, pushed to the bench registry and referenced by digest.
    buildDir = await mkdtemp(join(tmpdir(), 'mlp-bench-node-'));
    await writeFile(join(buildDir, 'server.js'), SERVER);
    await writeFile(
      join(buildDir, 'Dockerfile'),
      ['ARG BASE_IMAGE', 'FROM ${BASE_IMAGE}', 'COPY server.js /app/server.js', 'CMD ["node", "/app/server.js"]', ''].join('\n'),
    );
    const local = `${benchStatus().registry.url}/mlp-bench-test/node-check:${tag}`;
    await exec(
      'docker',
      ['build', '--network', 'none', '-q', '--build-arg', `BASE_IMAGE=${benchStatus().baseImage.image}`, '-t', local, buildDir],
      {
        env: { ...process.env, DOCKER_CLI_HINTS: 'false' },
      },
    );
    await exec('docker', ['push', '-q', local]);
    const { stdout } = await exec('docker', ['image', 'inspect', '--format', '{{join .RepoDigests "\\n"}}', local]);
    remote = stdout.split('\n').find((d) => d.startsWith(`${benchStatus().registry.url}/mlp-bench-test/node-check@sha256:`)) ?? '';
    expect(remote, `no registry digest for ${local} in: ${stdout}`).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  afterAll(async () => {
    await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
    if (remote)
      await exec('docker', ['image', 'rm', '-f', `${benchStatus().registry.url}/mlp-bench-test/node-check:${tag}`]).catch(() => undefined);
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  it('registers Ready with the real architecture, its label and its taint', async () => {
    const node = await core.readNode({ name: nodeName });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string];
    expect(node.metadata?.labels).toMatchObject({ [LABEL.key]: LABEL.value, 'kubernetes.io/arch': arch, 'kubernetes.io/os': 'linux' });
    expect(node.status?.nodeInfo?.architecture).toBe(arch);
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(node.spec?.taints).toContainEqual(expect.objectContaining({ key: TAINT_KEY, value: 'true', effect: 'NoSchedule' }));
  });

  it('runs an image pulled by digest, non-root with a read-only root filesystem, Ready through its HTTP probe, reached by port-forward', async () => {
    await core.createNamespacedPod({ namespace, body: onRealNode('web', remote) });
    const pod = await until('pod web to be Ready on the real node', async () => {
      const p = await core.readNamespacedPod({ name: 'web', namespace });
      const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason && /ErrImagePull|ImagePullBackOff|CrashLoopBackOff|CreateContainer/.test(waiting.reason)) {
        throw new Error(`container waiting: ${waiting.reason}: ${waiting.message ?? ''}`);
      }
      return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
    });
    expect(pod.spec?.nodeName).toBe(nodeName);
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.imageID).toContain(remote.split('@')[1]);
    expect(pod.status?.podIP).toMatch(/^10\.244\./);

    const res = await throughPortForward(kc, namespace, 'web', '/whoami');
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { uid: number; gid: number; hostname: string; probes: number; rootWrite: string; marker: string };
    expect(seen).toMatchObject({ uid: 10001, gid: 10001, hostname: 'web', rootWrite: 'EROFS', marker: namespace });
    expect(seen.probes, 'the kubelet never probed /ready').toBeGreaterThan(0);

    // The container's own stdout, through the API server and the kubelet.
    const logs = await until('the container log', async () => {
      const text = await core.readNamespacedPodLog({ name: 'web', namespace, container: 'web' });
      return text.includes('listening') ? text : undefined;
    });
    expect(logs).toContain(`bench node check listening on ${PORT}`);
  });

  it('keeps a pod that does not tolerate the taint off the real node', async () => {
    const pod = onRealNode('untolerated', remote);
    delete pod.spec!.tolerations;
    await core.createNamespacedPod({ namespace, body: pod });
    const condition = await until('the scheduler to refuse pod untolerated', async () => {
      const p = await core.readNamespacedPod({ name: 'untolerated', namespace });
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });
    // The real node refuses it for its taint, the kwok nodes for the nodeSelector (or, for the nodegroup stand-in's
    // nodes, which other suites may have up at the same time, their own taint): it is nowhere.
    expect(condition.message).toMatch(/[1-9]\d* node\(s\) had untolerated taint/);
    expect((await core.readNamespacedPod({ name: 'untolerated', namespace })).spec?.nodeName).toBeUndefined();
  });
});
