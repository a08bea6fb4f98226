/**
 * SIGTERM under load against the real server process (serving/src/server.ts run by node through tsx, as the
 * bundle runs in an image): readiness turns 503 at once, every request the server accepted is answered 200,
 * a request in flight when the listener closes still completes, new connections are refused after close,
 * and the process exits 0. Bounded: 8 workers for at most 2.5 s, on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { FEATURES, FIXTURE_MODEL_DIR, SERVING_ROOT } from './serving-harness.js';

const REPO_ROOT = path.resolve(SERVING_ROOT, '..');
const WORKERS = 8;
const SIGTERM_AFTER_MS = 600;
const SHUTDOWN_DELAY_MS = 300;
const WORKER_DEADLINE_MS = 2_500;
const PREDICT_BODY = JSON.stringify({ features: FEATURES });

interface ServerProcess {
  child: ChildProcess;
  port: number;
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let current: ChildProcess | undefined;
afterEach(() => {
  if (current && current.exitCode === null && current.signalCode === null) current.kill('SIGKILL');
});

/** Spawns the server on a free port and resolves once its log says the model is ready. */
function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(SERVING_ROOT, 'src/server.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', MODEL_DIR: FIXTURE_MODEL_DIR, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  current = child;
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let port = 0;
    const timer = setTimeout(() => reject(new Error(`server not ready in 20 s; stderr: ${stderr}`)), 20_000);
    void exited.then(({ code }) => reject(new Error(`server exited with ${code} before it was ready; stderr: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'listening') port = entry.port as number;
      if (entry.msg === 'model ready') {
        clearTimeout(timer);
        resolve({ child, port, logs, exited });
      }
    });
  });
}

describe('graceful shutdown', () => {
  it('drains under load: no failed request, readiness 503 during drain, in-flight request completes, exit 0', async () => {
    const server = await spawnServer({ SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS), SHUTDOWN_TIMEOUT_MS: '5000', LOG_LEVEL: 'info' });
    const base = `http://127.0.0.1:${server.port}`;
    const started = Date.now();
    let sigtermAt = Number.POSITIVE_INFINITY;

    const statuses = new Map<number, number>();
    const connectionErrors: { at: number; message: string }[] = [];
    const worker = async (): Promise<number> => {
      let answered = 0;
      while (Date.now() - started < WORKER_DEADLINE_MS) {
        try {
          const res = await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: PREDICT_BODY });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (Date.now() >= sigtermAt) answered++;
        } catch (error) {
          // No HTTP answer: the request was never accepted (listener closed). Stop this worker, like a client would.
          connectionErrors.push({ at: Date.now(), message: String((error as Error).cause ?? error) });
          break;
        }
      }
      return answered;
    };

    const readiness: { at: number; status: number | 'refused' }[] = [];
    const poller = async (): Promise<void> => {
      while (Date.now() - started < WORKER_DEADLINE_MS) {
        try {
          const res = await fetch(`${base}/ready`);
          await res.arrayBuffer();
          readiness.push({ at: Date.now(), status: res.status });
        } catch {
          readiness.push({ at: Date.now(), status: 'refused' });
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    // A request whose body is still arriving when SIGTERM comes and the listener closes: it must still be answered.
    const inFlight = slowRequest(server.port, PREDICT_BODY, SIGTERM_AFTER_MS + SHUTDOWN_DELAY_MS + 150);

    const work = Promise.all([...Array.from({ length: WORKERS }, worker), poller()]);
    await new Promise((resolve) => setTimeout(resolve, SIGTERM_AFTER_MS));
    sigtermAt = Date.now();
    server.child.kill('SIGTERM');
    const [results, exit, slow] = await Promise.all([work, server.exited, inFlight]);
    const answeredAfterSigterm = (results as (number | undefined)[]).reduce<number>((sum, n) => sum + (n ?? 0), 0);

    expect(exit).toEqual({ code: 0, signal: null });
    // Every request the server accepted succeeded.
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(WORKERS * 5);
    // Requests kept being served during the drain delay, and failures were refusals after SIGTERM only.
    expect(answeredAfterSigterm).toBeGreaterThan(0);
    for (const error of connectionErrors) expect(error.at).toBeGreaterThanOrEqual(sigtermAt);
    // Readiness was 200 before SIGTERM, 503 after it, then the listener closed.
    expect(readiness.filter((r) => r.at < sigtermAt).every((r) => r.status === 200)).toBe(true);
    expect(readiness.some((r) => r.at >= sigtermAt && r.status === 503)).toBe(true);
    expect(readiness.at(-1)?.status).toBe('refused');
    expect(slow.status).toBe(200);
    expect(slow.body).toContain('"prediction":1');
  }, 30_000);

  it('exits 2 naming the variable when the environment is invalid', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(SERVING_ROOT, 'src/server.ts')], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', MODEL_DIR: FIXTURE_MODEL_DIR, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('PORT: must be an integer');
  }, 30_000);

  it('exits 1 with a clear message when the model cannot be loaded', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(SERVING_ROOT, 'src/server.ts')], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', MODEL_DIR: path.join(FIXTURE_MODEL_DIR, 'missing'), PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    const fatal = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } }).find((entry) => entry.level === 60);
    expect(fatal?.msg).toContain('cannot load the model');
    expect(fatal?.err?.message).toContain('metadata.json');
  }, 30_000);
});

/** Sends the headers and half the body at once and the rest after `restAfterMs`; resolves with the response. */
function slowRequest(port: number, body: string, restAfterMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (response += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
      resolve({ status, body: response.slice(response.indexOf('\r\n\r\n') + 4) });
    });
    socket.once('connect', () => {
      const half = Math.floor(body.length / 2);
      socket.write(`POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`);
      setTimeout(() => socket.write(body.slice(half)), restAfterMs);
    });
  });
}
