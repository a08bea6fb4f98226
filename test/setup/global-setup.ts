/**
 * vitest globalSetup: bring the real-component bench up (test/bench/up.sh, never with --install), then
 * probe each component itself and provide the result as `inject('bench')` (see test/support/bench.ts).
 * MLP_BENCH_SKIP_UP=1 skips up.sh and only probes.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { BenchComponent, BenchStatus, ComponentStatus } from '../support/bench.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGISTRY = `127.0.0.1:${process.env.MLP_BENCH_REGISTRY_PORT ?? '5000'}`;
const MOTO = `http://127.0.0.1:${process.env.MLP_BENCH_MOTO_PORT ?? '5055'}`;
const BASE_IMAGE = process.env.MLP_BENCH_BASE_IMAGE ?? 'mlp-bench/node:20-bookworm-slim';
const PYTHON_IMAGE = process.env.MLP_BENCH_PYTHON_IMAGE ?? 'mlp-bench/python:3.11-bookworm-slim';
const UP_TIMEOUT_MS = 15 * 60_000;
const KUBECONFIG = join(process.env.MLP_BENCH_CACHE || join(homedir(), '.cache', 'mlp-bench'), 'kube', 'kubeconfig');
const REAL_NODE = process.env.MLP_BENCH_NODE_NAME ?? 'mlp-bench-node';
/** moto as the real node's pods reach it: node.sh's NODE_IP, relayed to moto by socat. */
const POD_MOTO = `http://10.244.0.1:${process.env.MLP_BENCH_MOTO_PORT ?? '5055'}`;

interface RunResult {
  code: number | null;
  output: string;
  error?: string;
}

function run(command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    // Not spawn's own `timeout`: its timer is only cleared on 'exit', which never comes when the binary is missing.
    let timer: NodeJS.Timeout | undefined;
    const done = (result: RunResult): void => {
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    timer.unref();
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => {
      done({ code: null, output, error: error.code === 'ENOENT' ? `${command} not found on PATH` : error.message });
    });
    child.on('close', (code, signal) => {
      const error = timedOut ? `${command} timed out after ${timeoutMs / 1000} s` : signal ? `${command} killed by ${signal}` : undefined;
      done({ code, output, ...(error ? { error } : {}) });
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop()?.trim() ?? '';
}

async function httpStatus(url: string): Promise<{ status?: number; error?: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    return { status: res.status };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? (error as Error).message };
  }
}

async function probeDocker(): Promise<ComponentStatus> {
  const r = await run('docker', ['info', '--format', '{{.ServerVersion}}'], 30_000);
  if (r.code === 0) return { up: true };
  return { up: false, why: `docker info failed: ${r.error ?? (lastLine(r.output) || `exit ${r.code}`)}` };
}

async function probeRegistry(): Promise<BenchStatus['registry']> {
  const r = await httpStatus(`http://${REGISTRY}/v2/`);
  if (r.status === 200) return { up: true, url: REGISTRY };
  return { up: false, why: `GET http://${REGISTRY}/v2/ ${r.status ? `answered ${r.status}` : `failed (${r.error})`}` };
}

async function probeMoto(): Promise<BenchStatus['moto']> {
  const r = await httpStatus(`${MOTO}/moto-api/`);
  if (r.status !== undefined) return { up: true, endpoint: MOTO };
  return { up: false, why: `no HTTP answer from ${MOTO} (${r.error})` };
}

async function probeBaseImage(docker: ComponentStatus): Promise<BenchStatus['baseImage']> {
  if (!docker.up) return { up: false, why: 'the Docker engine is not up' };
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', BASE_IMAGE], 30_000);
  if (r.code === 0) return { up: true, image: BASE_IMAGE };
  return { up: false, why: `docker image inspect ${BASE_IMAGE} failed: ${r.error ?? lastLine(r.output)}` };
}

async function probePythonImage(docker: ComponentStatus): Promise<BenchStatus['pythonImage']> {
  if (!docker.up) return { up: false, why: 'the Docker engine is not up' };
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', PYTHON_IMAGE], 30_000);
  if (r.code === 0) return { up: true, image: PYTHON_IMAGE };
  return { up: false, why: `docker image inspect ${PYTHON_IMAGE} failed: ${r.error ?? lastLine(r.output)}` };
}

async function probeBuildx(docker: ComponentStatus): Promise<ComponentStatus> {
  if (!docker.up) return { up: false, why: 'the Docker engine is not up' };
  const r = await run('docker', ['buildx', 'version'], 30_000);
  if (r.code === 0) return { up: true };
  return { up: false, why: `docker buildx version failed: ${r.error ?? lastLine(r.output)}` };
}

/** The bench cluster (test/bench/kube.sh) is up when its admin kubeconfig lists a Ready node. */
async function probeKube(): Promise<BenchStatus['kube']> {
  if (!existsSync(KUBECONFIG)) return { up: false, why: `no kubeconfig at ${KUBECONFIG}` };
  let timer: NodeJS.Timeout | undefined;
  try {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(KUBECONFIG);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
    });
    const nodes = await Promise.race([kc.makeApiClient(k8s.CoreV1Api).listNode(), timeout]);
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    if (ready.length > 0) return { up: true, kubeconfig: KUBECONFIG };
    return { up: false, why: `the API server answers but none of its ${nodes.items.length} nodes is Ready` };
  } catch (error) {
    return { up: false, why: `listing nodes with ${KUBECONFIG} failed: ${lastLine((error as Error).message.split('\n')[0] ?? '')}` };
  } finally {
    clearTimeout(timer);
  }
}

/** The real worker node (test/bench/node.sh) is up when the bench cluster has it Ready and labelled as the real one. */
async function probeNode(kube: ComponentStatus): Promise<BenchStatus['node']> {
  if (!kube.up) return { up: false, why: "the bench's Kubernetes is not up" };
  let timer: NodeJS.Timeout | undefined;
  try {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(KUBECONFIG);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
    });
    const node = await Promise.race([kc.makeApiClient(k8s.CoreV1Api).readNode({ name: REAL_NODE }), timeout]);
    if (node.metadata?.labels?.['mlp.dev/bench-node'] !== 'real')
      return { up: false, why: `node ${REAL_NODE} is not labelled mlp.dev/bench-node=real` };
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True')
      return { up: false, why: `node ${REAL_NODE} is not Ready (${ready?.reason ?? 'no Ready condition'}: ${ready?.message ?? ''})` };
    const relay = await httpStatus(`${POD_MOTO}/moto-api/`);
    return relay.status !== undefined
      ? { up: true, name: REAL_NODE, podAwsEndpoint: POD_MOTO }
      : { up: true, name: REAL_NODE, podAwsEndpointWhy: `no HTTP answer from ${POD_MOTO} (${relay.error}): node.sh relays it to moto` };
  } catch (error) {
    if ((error as { code?: number }).code === 404)
      return { up: false, why: `the bench cluster has no node ${REAL_NODE} (started by test/bench/node.sh up)` };
    return { up: false, why: `reading node ${REAL_NODE} failed: ${lastLine((error as Error).message.split('\n')[0] ?? '')}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The nodegroup stand-in (test/bench/nodegroups.sh) is up when its pidfile names a live process that finished a poll
 * of moto and the API server within the last 10 s (its heartbeat file).
 */
async function probeNodegroups(kube: ComponentStatus, moto: ComponentStatus): Promise<ComponentStatus> {
  if (!kube.up || !moto.up) return { up: false, why: 'needs the kube and moto components' };
  const { readFileSync, statSync } = await import('node:fs');
  const dir = join(process.env.MLP_BENCH_CACHE || join(homedir(), '.cache', 'mlp-bench'), 'nodegroups');
  try {
    const pid = Number(readFileSync(join(dir, 'standin.pid'), 'utf8').trim());
    process.kill(pid, 0);
  } catch {
    return {
      up: false,
      why: `the nodegroup stand-in is not running (no live pid in ${join(dir, 'standin.pid')}; bash test/bench/up.sh starts it)`,
    };
  }
  try {
    const age = (Date.now() - statSync(join(dir, 'standin.heartbeat')).mtimeMs) / 1000;
    if (age <= 10) return { up: true };
    return { up: false, why: `the nodegroup stand-in last finished a poll ${Math.round(age)} s ago; see ${join(dir, 'standin.log')}` };
  } catch {
    return { up: false, why: `the nodegroup stand-in has not finished a poll yet; see ${join(dir, 'standin.log')}` };
  }
}

/** Debian's chromium (test/bench/chromium.sh) is up when it starts headless and prints its version. */
async function probeChromium(): Promise<BenchStatus['chromium']> {
  const executable = process.env.MLP_BENCH_CHROMIUM ?? '/usr/bin/chromium';
  const r = await run(executable, ['--headless', '--no-sandbox', '--disable-gpu', '--version'], 30_000);
  if (r.code === 0) return { up: true, executable };
  return { up: false, why: `${executable} --version failed: ${r.error ?? (lastLine(r.output) || `exit ${r.code}`)}` };
}

/** The conformance tests' Python clients (test/bench/python-clients.sh) are up when its status says their venv imports them. */
async function probePythonClients(): Promise<BenchStatus['pythonClients']> {
  const r = await run('bash', ['test/bench/python-clients.sh', 'status'], 60_000);
  const python = /^python clients: (\/\S+)$/m.exec(r.output)?.[1];
  if (r.code === 0 && python) return { up: true, python };
  return { up: false, why: r.error ?? (lastLine(r.output).replace(/^missing: /, '') || `python-clients.sh status exited ${r.code}`) };
}

/** actionlint (built from its Go module by test/bench/actionlint.sh) is up when it and Debian's shellcheck answer. */
async function probeActionlint(): Promise<BenchStatus['actionlint']> {
  const version = process.env.MLP_BENCH_ACTIONLINT_VERSION ?? 'v1.7.12';
  const cache = process.env.MLP_BENCH_CACHE || join(homedir(), '.cache', 'mlp-bench');
  const executable = join(cache, 'actionlint', version, 'actionlint');
  const shellcheck = process.env.MLP_BENCH_SHELLCHECK ?? '/usr/bin/shellcheck';
  const lint = await run(executable, ['-version'], 30_000);
  if (lint.code !== 0)
    return { up: false, why: `${executable} -version failed: ${lint.error ?? (lastLine(lint.output) || `exit ${lint.code}`)}` };
  const check = await run(shellcheck, ['--version'], 30_000);
  if (check.code !== 0)
    return { up: false, why: `${shellcheck} --version failed: ${check.error ?? (lastLine(check.output) || `exit ${check.code}`)}` };
  return { up: true, executable, shellcheck };
}

/** `missing: <component> (<why>; run …)` lines from up.sh, by component. */
function missingFromUp(output: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^missing: (\w+) \((.*)\)$/.exec(line.trim());
    if (m?.[1] && m[2]) found.set(m[1], m[2]);
  }
  return found;
}

export default async function setup(project: TestProject): Promise<void> {
  let upNote = '';
  let missing = new Map<string, string>();
  if (process.env.MLP_BENCH_SKIP_UP === '1') {
    process.stderr.write('bench: MLP_BENCH_SKIP_UP=1, so test/bench/up.sh was not run; only probing\n');
  } else {
    const r = await run('bash', ['test/bench/up.sh'], UP_TIMEOUT_MS);
    missing = missingFromUp(r.output);
    if (r.code !== 0) {
      process.stderr.write(`bench: test/bench/up.sh ${r.error ?? `exited ${r.code}`}; its output:\n${r.output}`);
      upNote = `test/bench/up.sh ${r.error ?? `exited ${r.code}`}`;
    } else {
      // Say what was started in the background, so nobody wonders where the processes came from.
      const started = r.output
        .split('\n')
        .filter((l) =>
          /^(docker|registry|moto|base image|python image|kube|node|nodegroups): (started|starting|built|importing|debootstrap)/.test(l),
        );
      if (started.length > 0)
        process.stderr.write(`${started.map((l) => `bench: ${l}`).join('\n')}\nbench: stop with: bash test/bench/down.sh\n`);
    }
  }

  const docker = await probeDocker();
  const [registry, moto, baseImage, buildx, pythonImage] = await Promise.all([
    probeRegistry(),
    probeMoto(),
    probeBaseImage(docker),
    probeBuildx(docker),
    probePythonImage(docker),
  ]);
  const kube = await probeKube();
  const bench: BenchStatus = {
    docker,
    registry,
    moto,
    baseImage,
    kube,
    buildx,
    pythonImage,
    node: await probeNode(kube),
    nodegroups: await probeNodegroups(kube, moto),
    chromium: await probeChromium(),
    actionlint: await probeActionlint(),
    pythonClients: await probePythonClients(),
  };

  for (const name of Object.keys(bench) as BenchComponent[]) {
    const c = bench[name];
    if (c.up) continue;
    const reasons = [missing.get(name), c.why, upNote].filter((x): x is string => Boolean(x));
    c.why = reasons.join('; ');
    process.stderr.write(
      process.env.MLP_REQUIRE_INFRA === '1'
        ? `bench: ${name} is not up, so suites that need it will FAIL (MLP_REQUIRE_INFRA=1): ${c.why}\n`
        : `bench: skipping suites that need ${name}: ${c.why}\n`,
    );
  }
  project.provide('bench', bench);
}
