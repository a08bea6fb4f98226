/**
 * A pod's log through the API server: followed line by line while a Job runs, or its last lines for a diagnosis.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from './client.js';

export interface PodLogFollower {
  /** The last `keep` lines seen. */
  readonly tail: readonly string[];
  readonly lines: number;
  /** Ends the stream after up to `drainMs` for it to end by itself. */
  stop(drainMs?: number): Promise<void>;
}

/**
 * Follows one container's log through the API server (`kubectl logs -f`), line by line, keeping the last lines
 * for error messages. It is a plain HTTPS request rather than client-node's Log, whose request can only be
 * cancelled once the first byte has arrived: a node that holds a quiet stream open (kwok does, a real kubelet
 * may until the container prints) would otherwise keep mlp from stopping. A node may also keep the stream open
 * after the container is gone, so the caller ends it with stop(), after a moment for what is still in flight.
 */
export async function followPodLog(
  kube: KubeClient,
  target: { namespace: string; pod: string; container: string },
  onLine: (line: string) => void,
  keep = 20,
): Promise<PodLogFollower> {
  const { url, options } = await kube.apiServerRequest(
    `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/log`,
  );
  url.searchParams.set('container', target.container);
  url.searchParams.set('follow', 'true');
  const abort = new AbortController();
  const tail: string[] = [];
  let lines = 0;
  const ended = new Promise<void>((resolve) => {
    const request = https.get(url, { ...options, signal: abort.signal }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        resolve();
        return;
      }
      const reader = createInterface({ input: response, crlfDelay: Infinity });
      reader.on('line', (line) => {
        lines += 1;
        tail.push(line);
        if (tail.length > keep) tail.shift();
        onLine(line);
      });
      reader.on('close', resolve);
      // Aborting errors the response ("aborted"), and readline re-emits its input's errors as its own.
      reader.on('error', () => resolve());
      response.on('error', () => resolve());
    });
    request.on('error', () => resolve()); // aborted, or the API server went away: the log is best effort
  });
  return {
    tail,
    get lines() {
      return lines;
    },
    async stop(drainMs = 0) {
      if (drainMs > 0) await Promise.race([ended, sleep(drainMs)]);
      abort.abort();
      await ended;
    },
  };
}

/** The last lines of a container's log without following it, or [] when the node does not serve them in time. */
export async function podLogTail(
  core: CoreV1Api,
  target: { namespace: string; pod: string; container: string; previous?: boolean },
  lines = 20,
): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const read = core.readNamespacedPodLog({
      name: target.pod,
      namespace: target.namespace,
      container: target.container,
      previous: target.previous ?? false,
      tailLines: lines,
    });
    // The API server proxies logs from the node; a node that does not answer must not stall a diagnosis.
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), 5000)));
    const log = await Promise.race([read, timeout]);
    return String(log).trim().split('\n').filter(Boolean);
  } catch {
    return []; // no such log (e.g. no previous container), or the node does not serve logs
  } finally {
    clearTimeout(timer);
  }
}

export interface PodLogStreamOptions {
  /** Keep the stream open for new lines (`kubectl logs -f`). */
  follow?: boolean;
  /** Only the last N lines (before following). */
  tailLines?: number;
  /** Only lines newer than this many seconds. */
  sinceSeconds?: number;
  /** Each line starts with the kubelet's RFC 3339 timestamp and a space (for merging pods' logs by time). */
  timestamps?: boolean;
}

export interface PodLogStream {
  /** Resolves when the log ends: with the API server's reason when it refused it (e.g. "… is waiting to start"). */
  readonly ended: Promise<{ error?: string }>;
  /** Ends the stream after up to `drainMs` for it to end by itself. */
  stop(drainMs?: number): Promise<void>;
}

/**
 * One container's log through the API server, read to its end or followed, as followPodLog does (a plain HTTPS
 * request, so it can be cancelled before the first byte), with the log endpoint's tail, since and timestamps
 * parameters; a refusal is reported through `ended` rather than dropped, so `mlp logs` can say why a pod shows nothing.
 */
export async function streamPodLog(
  kube: KubeClient,
  target: { namespace: string; pod: string; container: string },
  options: PodLogStreamOptions,
  onLine: (line: string) => void,
): Promise<PodLogStream> {
  const { url, options: request } = await kube.apiServerRequest(
    `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/log`,
  );
  url.searchParams.set('container', target.container);
  if (options.follow) url.searchParams.set('follow', 'true');
  if (options.tailLines !== undefined) url.searchParams.set('tailLines', String(options.tailLines));
  if (options.sinceSeconds !== undefined) url.searchParams.set('sinceSeconds', String(options.sinceSeconds));
  if (options.timestamps) url.searchParams.set('timestamps', 'true');
  const abort = new AbortController();
  const ended = new Promise<{ error?: string }>((resolve) => {
    const get = https.get(url, { ...request, signal: abort.signal }, (response) => {
      if (response.statusCode !== 200) {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ error: statusMessage(body) ?? `HTTP ${response.statusCode}` }));
        response.on('error', () => resolve({ error: `HTTP ${response.statusCode}` }));
        return;
      }
      const reader = createInterface({ input: response, crlfDelay: Infinity });
      reader.on('line', onLine);
      reader.on('close', () => resolve({}));
      reader.on('error', () => resolve({}));
      response.on('error', () => resolve({}));
    });
    get.on('error', (error) => resolve(abort.signal.aborted ? {} : { error: error.message }));
  });
  return {
    ended,
    async stop(drainMs = 0) {
      if (drainMs > 0) await Promise.race([ended, sleep(drainMs)]);
      abort.abort();
      await ended;
    },
  };
}

/** The message of a Kubernetes Status document, or undefined when the body is not one. */
function statusMessage(body: string): string | undefined {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    return typeof status.message === 'string' ? status.message : undefined;
  } catch {
    return body.trim() === '' ? undefined : body.trim().slice(0, 300);
  }
}
