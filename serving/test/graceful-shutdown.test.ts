/**
 * SIGTERM under load against the real server process (serving/src/server.ts run by node through tsx, as the
 * bundle runs in an image): readiness turns 503 at once, every request the server accepted is answered 200,
 * a request in flight when the listener closes still completes, new connections are refused after close,
 * and the process exits 0. Each step waits for an event (a log line, an answer, a refused connection), never
 * for a length of time; 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { FEATURES, FIXTURE_MODEL_DIR, LogWatch, SERVING_ROOT, type LogEntry } from './serving-harness.js';

const REPO_ROOT = path.resolve(SERVING_ROOT, '..');
const WORKERS = 8;
/**
 * The drain delay is the window in which readiness is 503 while requests are still served. The test sends its
 * probe when the server logs that the drain began, so the window only has to fit one request on 127.0.0.1.
 */
const SHUTDOWN_DELAY_MS = 1_000;
const DRAIN_STARTED = 'shutting down: readiness is 503, draining';
const PREDICT_BODY = JSON.stringify({ features: FEATURES });

interface ServerProcess {
  child: ChildProcess;
  port: number;
  logs: LogWatch;
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
  const logs = new LogWatch();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  createInterface({ input: child.stdout! }).on('line', (line) => logs.push(JSON.parse(line) as LogEntry));
  return new Promise((resolve, reject) => {
    void exited.then(({ code }) => reject(new Error(`server exited with ${code} before it was ready; stderr: ${stderr}`)));
    void logs.until('model ready').then(() => {
      const port = logs.entries.find((entry) => entry.msg === 'listening')?.port as number;
      resolve({ child, port, logs, exited });
    });
  });
}

describe('graceful shutdown', () => {
  it('drains under load: no failed request, readiness 503 during drain, in-flight request completes, exit 0', async () => {
    const server = await spawnServer({ SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS), SHUTDOWN_TIMEOUT_MS: '10000', LOG_LEVEL: 'info' });
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/ready`)).status).toBe(200);

    // A request whose headers the server has read (it answered 100 Continue) and whose body the test holds back
    // until the listener has closed: it must still be answered.
    const inFlight = await heldRequest(server.port, PREDICT_BODY);

    let draining = false;
    let stop = false;
    const statuses = new Map<number, number>();
    let answeredDuringDrain = 0;
    const connectionErrors: { duringDrain: boolean; message: string }[] = [];
    const answered = new Array<number>(WORKERS).fill(0);
    let everyWorkerAnswered = (): void => undefined;
    const underLoad = new Promise<void>((resolve) => (everyWorkerAnswered = resolve));
    const worker = async (index: number): Promise<void> => {
      while (!stop) {
        try {
          const res = await fetch(`${base}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: PREDICT_BODY,
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          // While draining the server closes each connection it answers (app.ts), so it says which answers those were.
          if (res.status === 200 && res.headers.get('connection') === 'close') answeredDuringDrain++;
          answered[index]! += 1;
          if (answered.every((n) => n >= 2)) everyWorkerAnswered();
        } catch (error) {
          // No HTTP answer: the request was never accepted (listener closed). Stop this worker, like a client would.
          connectionErrors.push({ duringDrain: draining, message: String((error as Error).cause ?? error) });
          return;
        }
      }
    };
    const workers = Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));

    try {
      // Every worker has been answered: the server is under load when the signal comes.
      await underLoad;
      server.child.kill('SIGTERM');
      await server.logs.until(DRAIN_STARTED);
      draining = true;
      const readyDuringDrain = await fetch(`${base}/ready`);
      expect(readyDuringDrain.status).toBe(503);
      expect(await readyDuringDrain.json()).toMatchObject({ status: 'draining' });

      // Each worker stops at its first refused connection: once all have, the listener is closed.
      await workers;
      expect(await connectOutcome(server.port)).toBe('ECONNREFUSED');
      const slow = await inFlight.sendRest();
      const exit = await server.exited;

      expect(exit).toEqual({ code: 0, signal: null });
      // Every request the server accepted succeeded, also those answered while it drained.
      expect([...statuses.keys()]).toEqual([200]);
      expect(answeredDuringDrain).toBeGreaterThan(0);
      expect(connectionErrors).toHaveLength(WORKERS);
      expect(connectionErrors.filter((error) => !error.duringDrain)).toEqual([]);
      expect(slow.status).toBe(200);
      expect(slow.head).toMatch(/^connection: close$/im);
      expect(slow.body).toContain('"prediction":1');
      expect(server.logs.entries.find((entry) => entry.msg === 'stopped')).toMatchObject({ forced: false });
    } finally {
      stop = true;
    }
  }, 60_000);

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
    const fatal = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } })
      .find((entry) => entry.level === 60);
    expect(fatal?.msg).toContain('cannot load the model');
    expect(fatal?.err?.message).toContain('metadata.json');
  }, 30_000);
});

/**
 * Opens a request with `Expect: 100-continue` and resolves once the server answered 100 Continue, that is, once
 * it has read the headers and the request is in flight. `sendRest` sends the body and resolves with the answer.
 */
function heldRequest(port: number, body: string): Promise<{ sendRest(): Promise<{ status: number; head: string; body: string }> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let continued = false;
    const answered = new Promise<{ status: number; head: string; body: string }>((resolveAnswer) => {
      socket.on('close', () => {
        const final = response.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
        const end = final.indexOf('\r\n\r\n');
        resolveAnswer({
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(final)?.[1] ?? 0),
          head: final.slice(0, end),
          body: final.slice(end + 4),
        });
      });
    });
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      response += chunk;
      if (!continued && response.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        continued = true;
        resolve({
          sendRest: () => {
            socket.write(body);
            return answered;
          },
        });
      }
    });
    socket.once('connect', () => {
      socket.write(
        `POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
      );
    });
  });
}

/** Connects and hangs up: 'connected', or the error code (ECONNREFUSED once the listener is closed). */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
