/** Starts the real server (start-server.ts, as server.ts does) on 127.0.0.1 and a free port, on the fixture model. */
import { fileURLToPath } from 'node:url';
import { loadConfig, type LogLevel } from '../src/config.js';
import { createLogger, type Logger } from '../src/logger.js';
import { startServer, type RunningServer, type StartOptions } from '../src/start-server.js';

export const FIXTURE_MODEL_DIR = fileURLToPath(new URL('./fixtures/fraud-model', import.meta.url));
export const SERVING_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The 20 features of the fixture model, in order (seed 003's example request). */
export const FEATURES = [0.5, 0.3, 0.8, 0.2, 0.9, 0.1, 0.7, 0.4, 0.6, 0.5, 0.3, 0.8, 0.2, 0.9, 0.1, 0.7, 0.4, 0.6, 0.5, 0.3];

export async function startFixtureServer(
  env: Record<string, string> = {},
  options: StartOptions & { waitForModel?: boolean } = {},
): Promise<RunningServer> {
  const config = loadConfig({ MODEL_DIR: FIXTURE_MODEL_DIR, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
  const running = await startServer(config, { logger: createLogger('silent'), ...options });
  if (options.waitForModel !== false) await running.loaded;
  return running;
}

// Response bodies are inspected loosely in tests.
export type Json = Record<string, any>;

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

export async function getJson(url: string): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

export type LogEntry = Record<string, unknown> & { msg?: string };

/**
 * The server's log as it is written, and a way to wait for a line: tests synchronise on what the server says
 * it did (`model ready`, `shutting down…`, a failed warm-up) rather than on how long that usually takes.
 */
export class LogWatch {
  readonly entries: LogEntry[] = [];
  #waiters: { count: number; msg: string; resolve: () => void }[] = [];

  push(entry: LogEntry): void {
    this.entries.push(entry);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.count(waiter.msg) < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }

  /** How many lines so far start with `msg`. */
  count(msg: string): number {
    return this.entries.filter((entry) => entry.msg?.startsWith(msg)).length;
  }

  /** Settles once `count` lines starting with `msg` have been written (at once if they already have). */
  until(msg: string, count = 1): Promise<void> {
    if (this.count(msg) >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, msg, resolve }));
  }
}

/** A logger for an in-process server whose lines go to a {@link LogWatch} instead of stdout. */
export function watchedLogger(level: LogLevel = 'info'): { logger: Logger; logs: LogWatch } {
  const logs = new LogWatch();
  const logger = createLogger(level, { write: (line: string) => logs.push(JSON.parse(line) as LogEntry) });
  return { logger, logs };
}
