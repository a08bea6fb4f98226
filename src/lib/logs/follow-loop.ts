/**
 * `mlp logs --follow` across rollouts: the sources (pods' containers, or local containers) are listed again every
 * couple of seconds; each new one is followed as it appears, each one that is gone has its stream ended, until
 * Ctrl-C. Polling rather than a watch: it is what the local engine offers too, and a missed watch event would leave
 * a new pod unfollowed, whereas the next list always sees it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogSource } from './format-line.js';

/** A log that can be followed: `key` changes when it is another container (a restart, a replacement). */
export interface FollowTarget {
  key: string;
  source: LogSource;
}

export interface OpenStream {
  /** Resolves when the log ends by itself: with why it was refused, if it was. */
  ended: Promise<string | undefined>;
  stop(drainMs: number): Promise<void>;
}

export interface FollowLoop<Target extends FollowTarget> {
  signal: AbortSignal;
  /** The sources there are now, or undefined when they could not be listed this time (the loop tries again). */
  list(): Promise<Target[] | undefined>;
  /** Starts following `target`: with the tail and since of the request when it was there at the start (`initial`). */
  open(target: Target, initial: boolean, onLine: (line: string) => void): Promise<OpenStream>;
  print(source: LogSource, line: string): void;
  /** Progress on stderr: a source joined or ended, nothing to follow yet. */
  info(message: string): void;
  /** Said once while there is nothing to follow. */
  waiting: string;
  pollMs?: number;
}

/** How long a gone source's stream may run on: a node can hold it open after the container is gone. */
const DRAIN_MS = 2000;
const POLL_MS = 2000;

/** Follows every source `loop.list()` reports until the signal aborts; resolves once every stream is closed. */
export async function followSources<Target extends FollowTarget>(loop: FollowLoop<Target>): Promise<void> {
  const open = new Map<string, { target: Target; stream: OpenStream }>();
  const finished = new Set<string>();
  const stopping = new Set<string>();
  let initial = true;
  let saidWaiting = false;
  while (!loop.signal.aborted) {
    const targets = await loop.list();
    if (targets !== undefined && !loop.signal.aborted) {
      const present = new Set(targets.map((target) => target.key));
      for (const target of targets) {
        if (open.has(target.key) || finished.has(target.key)) continue;
        const stream = await loop.open(target, initial, (line) => loop.print(target.source, line));
        open.set(target.key, { target, stream });
        if (!initial) loop.info(`following ${describe(target)}`);
        void stream.ended.then((refused) => {
          if (!open.delete(target.key)) return;
          finished.add(target.key);
          if (!loop.signal.aborted) loop.info(`${describe(target)}: ${refused === undefined ? 'log ended' : `no log: ${refused}`}`);
        });
      }
      for (const [key, { stream }] of open) {
        if (present.has(key) || stopping.has(key)) continue;
        // Gone from the list (the pod was deleted, the container replaced): its last lines may still be in flight.
        stopping.add(key);
        void stream.stop(DRAIN_MS);
      }
      // Only before anything was followed: between a replaced container and its successor there is a moment with none.
      if (targets.length === 0 && open.size === 0 && finished.size === 0 && !saidWaiting) {
        loop.info(loop.waiting);
        saidWaiting = true;
      }
      initial = false;
    }
    await sleep(loop.pollMs ?? POLL_MS, undefined, { signal: loop.signal }).catch(() => undefined);
  }
  await Promise.all([...open.values()].map(({ stream }) => stream.stop(0)));
}

const describe = (target: FollowTarget): string => `${target.source.pod} (${target.source.container})`;
