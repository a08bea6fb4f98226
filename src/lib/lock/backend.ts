/** What the file lock and the Lease lock have in common, so project-lock.ts waits and reports the same way for both. */
import type { LockHolder } from './holder.js';

export type Attempt =
  | {
      acquired: true;
      /** The holder whose stale lock was taken over, and why it was stale. */ tookOver?: { holder: LockHolder; why: string };
    }
  | { acquired: false; holder: LockHolder };

export interface LockBackend {
  /** Where the lock lives, for messages: `lock file /p/.mlp/lock`, `Lease ns/mlp-p-lock`. */
  readonly where: string;
  /** How long to sleep between attempts while waiting (--wait). */
  readonly pollMilliseconds: number;
  /** One attempt: takes the lock when it is free or stale, or says who holds it. */
  tryAcquire(): Promise<Attempt>;
  /** Frees the lock if this process still holds it; never throws (a failure is a warning). */
  release(): Promise<void>;
}
