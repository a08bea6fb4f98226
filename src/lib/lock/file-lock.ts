/**
 * The local target's lock: `<project>/.mlp/lock`, created with O_EXCL (`wx`) so exactly one process creates it,
 * holding the holder as JSON. A lock whose pid is dead on this host is stale: it is moved aside under a name of
 * our own and checked to be the very file we judged stale before it is deleted, so two processes that both find it
 * stale cannot delete each other's fresh lock.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { readFileSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attempt, LockBackend } from './backend.js';
import { parseHolder, type LockHolder } from './holder.js';

/** A lock file still empty or half-written this long after it was created was left by a process that died writing it. */
const UNREADABLE_GRACE_MS = 10_000;
const ATTEMPTS = 5;

export const lockFilePath = (projectDir: string): string => path.join(projectDir, '.mlp', 'lock');

/**
 * Whether `holder`'s process may still be running. Only a pid on this host can be checked: signal 0 tests for the
 * process without touching it (ESRCH: there is none; EPERM: there is one, of another user).
 */
export function holderAlive(holder: LockHolder, host = os.hostname()): boolean {
  if (holder.host !== host || holder.pid <= 0) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

type Seen = { kind: 'gone' } | { kind: 'holder'; text: string; holder: LockHolder } | { kind: 'unreadable'; text: string; ageMs: number };

export class FileLock implements LockBackend {
  readonly where: string;
  readonly pollMilliseconds = 500;
  readonly #file: string;
  readonly #holder: LockHolder;
  readonly #text: string;
  #onExit: (() => void) | undefined;

  constructor(projectDir: string, holder: LockHolder) {
    this.#file = lockFilePath(projectDir);
    this.#holder = holder;
    this.#text = `${JSON.stringify(holder, null, 2)}\n`;
    this.where = `lock file ${this.#file}`;
  }

  async tryAcquire(): Promise<Attempt> {
    await mkdir(path.dirname(this.#file), { recursive: true });
    let tookOver: { holder: LockHolder; why: string } | undefined;
    let last: LockHolder | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await writeFile(this.#file, this.#text, { flag: 'wx', mode: 0o644 });
        this.#removeOnExit();
        return tookOver ? { acquired: true, tookOver } : { acquired: true };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const seen = await this.#read();
      if (seen.kind === 'gone') continue; // released between our create and our read: try again
      if (seen.kind === 'unreadable') {
        // Created a moment ago and not written yet (the holder is between open and write): held by someone unknown.
        if (seen.ageMs < UNREADABLE_GRACE_MS) return { acquired: false, holder: unknownHolder(seen.ageMs) };
        if (await this.#removeIfUnchanged(seen.text)) tookOver = { holder: unknownHolder(seen.ageMs), why: 'the lock file is unreadable' };
        continue;
      }
      if (holderAlive(seen.holder)) return { acquired: false, holder: seen.holder };
      last = seen.holder;
      if (await this.#removeIfUnchanged(seen.text)) tookOver = { holder: seen.holder, why: `its process (pid ${seen.holder.pid}) is gone` };
    }
    // Lost every race for the file to other processes: whoever holds it now is the answer.
    const seen = await this.#read();
    return { acquired: false, holder: seen.kind === 'holder' ? seen.holder : (last ?? unknownHolder(0)) };
  }

  async release(): Promise<void> {
    if (this.#onExit) process.off('exit', this.#onExit);
    this.#onExit = undefined;
    const text = await readFile(this.#file, 'utf8').catch(() => undefined);
    if (text === this.#text) await unlink(this.#file).catch(() => undefined);
  }

  async #read(): Promise<Seen> {
    try {
      const [text, info] = await Promise.all([readFile(this.#file, 'utf8'), stat(this.#file)]);
      const holder = parseJson(text);
      return holder ? { kind: 'holder', text, holder } : { kind: 'unreadable', text, ageMs: Date.now() - info.mtimeMs };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
      throw error;
    }
  }

  /** Deletes the lock file only if it still holds `stale`; puts a fresh lock that slipped in back in place. */
  async #removeIfUnchanged(stale: string): Promise<boolean> {
    const aside = `${this.#file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(this.#file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    if (moved !== stale) {
      // Another process took the stale lock over and made it its own first: give it back (link fails if yet
      // another one has created the lock meanwhile, which then holds it).
      await link(aside, this.#file).catch(() => undefined);
    }
    await unlink(aside).catch(() => undefined);
    return moved === stale;
  }

  /** A second Ctrl-C exits at once, skipping `finally`: the lock file goes with the process all the same. */
  #removeOnExit(): void {
    this.#onExit = () => {
      try {
        if (readFileSync(this.#file, 'utf8') === this.#text) unlinkSync(this.#file);
      } catch {
        // Already gone.
      }
    };
    process.once('exit', this.#onExit);
  }
}

function parseJson(text: string): LockHolder | undefined {
  try {
    return parseHolder(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function unknownHolder(ageMs: number): LockHolder {
  return {
    id: 'unknown',
    operation: 'unknown',
    user: 'unknown',
    host: 'unknown',
    pid: 0,
    command: 'an mlp command',
    since: new Date(Date.now() - ageMs).toISOString(),
  };
}
