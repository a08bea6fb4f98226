/**
 * Follows one container's log through the API server (`kubectl logs -f`), line by line, keeping the last lines
 * for error messages. A node may keep a followed stream open after the container is gone (kwok always does), so
 * the caller ends it with stop(), after giving it a moment to deliver what is still in flight.
 */
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PodLogFollower {
  /** The last `keep` lines seen. */
  readonly tail: readonly string[];
  readonly lines: number;
  /** Ends the stream after up to `drainMs` for it to end by itself. */
  stop(drainMs?: number): Promise<void>;
}

export async function followPodLog(
  kubeConfig: KubeConfig,
  target: { namespace: string; pod: string; container: string },
  onLine: (line: string) => void,
  keep = 20,
): Promise<PodLogFollower> {
  const { Log } = await import('@kubernetes/client-node');
  const stream = new PassThrough();
  const tail: string[] = [];
  let lines = 0;
  const ended = new Promise<void>((resolve) => {
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    reader.on('line', (line) => {
      lines += 1;
      tail.push(line);
      if (tail.length > keep) tail.shift();
      onLine(line);
    });
    reader.on('close', resolve);
  });
  const request = await new Log(kubeConfig).log(target.namespace, target.pod, target.container, stream, { follow: true, timestamps: false });
  return {
    tail,
    get lines() {
      return lines;
    },
    async stop(drainMs = 0) {
      if (drainMs > 0) await Promise.race([ended, sleep(drainMs)]);
      request.abort();
      // An aborted response does not end the stream it was piped into.
      stream.end();
      await ended;
    },
  };
}

/** The last lines of a container's log without following it, or [] when the node does not serve them in time. */
export async function podLogTail(core: CoreV1Api, target: { namespace: string; pod: string; container: string; previous?: boolean }, lines = 20): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const read = core.readNamespacedPodLog({ name: target.pod, namespace: target.namespace, container: target.container, previous: target.previous ?? false, tailLines: lines });
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
