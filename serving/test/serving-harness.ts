/** Starts the real server (start-server.ts, as server.ts does) on 127.0.0.1 and a free port, on the fixture model. */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer, type RunningServer, type StartOptions } from '../src/start-server.js';

export const FIXTURE_MODEL_DIR = fileURLToPath(new URL('./fixtures/fraud-model', import.meta.url));
export const SERVING_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The 20 features of the fixture model, in order (seed 003's example request). */
export const FEATURES = [0.5, 0.3, 0.8, 0.2, 0.9, 0.1, 0.7, 0.4, 0.6, 0.5, 0.3, 0.8, 0.2, 0.9, 0.1, 0.7, 0.4, 0.6, 0.5, 0.3];

export async function startFixtureServer(env: Record<string, string> = {}, options: StartOptions & { waitForModel?: boolean } = {}): Promise<RunningServer> {
  const config = loadConfig({ MODEL_DIR: FIXTURE_MODEL_DIR, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
  const running = await startServer(config, { logger: createLogger('silent'), ...options });
  if (options.waitForModel !== false) await running.loaded;
  return running;
}

// Response bodies are inspected loosely in tests.
export type Json = Record<string, any>;

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json; headers: Headers }> {
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
