/** The local target's lock file on the real filesystem, and withProjectLock over it (no bench needed). */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextForTest } from '../../../test/support/run-mlp.js';
import { MlpError } from '../errors.js';
import { FileLock, holderAlive, lockFilePath } from './file-lock.js';
import { currentHolder, type LockHolder } from './holder.js';
import { withProjectLock } from './project-lock.js';

const env = { USER: 'tester' };
/** The pid of a process that has exited (and that this host has not reused since). */
const deadPid = (): number =>
  Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('the lock file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlp-lock-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is created once: a second lock sees the first holder until it is released', async () => {
    const first = new FileLock(dir, currentHolder('deploy', env));
    const second = new FileLock(dir, currentHolder('rollback', env));
    expect(await first.tryAcquire()).toEqual({ acquired: true });
    expect(JSON.parse(readFileSync(lockFilePath(dir), 'utf8'))).toMatchObject({ user: 'tester', host: os.hostname(), pid: process.pid });
    expect(await second.tryAcquire()).toMatchObject({ acquired: false, holder: { operation: 'deploy', user: 'tester' } });
    await second.release(); // not its lock: the file stays
    expect(existsSync(lockFilePath(dir))).toBe(true);
    await first.release();
    expect(existsSync(lockFilePath(dir))).toBe(false);
    expect(await second.tryAcquire()).toEqual({ acquired: true });
    await second.release();
  });

  it('of a dead pid on this host is stale and taken over', async () => {
    const stale: LockHolder = { ...currentHolder('deploy', env), pid: deadPid() };
    expect(holderAlive(stale)).toBe(false);
    expect(holderAlive({ ...stale, host: 'elsewhere' })).toBe(true);
    mkdirSync(path.join(dir, '.mlp'));
    writeFileSync(lockFilePath(dir), JSON.stringify(stale));
    const lock = new FileLock(dir, currentHolder('deploy', env));
    expect(await lock.tryAcquire()).toEqual({
      acquired: true,
      tookOver: { holder: stale, why: `its process (pid ${stale.pid}) is gone` },
    });
    expect(JSON.parse(readFileSync(lockFilePath(dir), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('that is empty is held for a moment (its holder is writing it), then stale', async () => {
    mkdirSync(path.join(dir, '.mlp'));
    writeFileSync(lockFilePath(dir), '');
    const lock = new FileLock(dir, currentHolder('deploy', env));
    expect(await lock.tryAcquire()).toMatchObject({ acquired: false, holder: { user: 'unknown' } });
    execFileSync('touch', ['-d', '1 minute ago', lockFilePath(dir)]);
    expect(await lock.tryAcquire()).toMatchObject({ acquired: true, tookOver: { why: 'the lock file is unreadable' } });
    await lock.release();
  });
});

describe('withProjectLock on the local target', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlp-lock-unit-'));
    writeFileSync(
      path.join(dir, 'mlp.yaml'),
      'apiVersion: mlp/v1\nname: locky\ndeploy:\n  target: local\nservices:\n  - name: api\n    model: { source: dir, path: model }\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const until = async (condition: () => boolean) => {
    for (let tries = 0; !condition(); tries += 1) {
      if (tries > 200) throw new Error('condition not met in 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('refuses a second operation with the locked error, and with wait runs it after the first', async () => {
    const [a, b, c] = await Promise.all([contextForTest(dir, env), contextForTest(dir, env), contextForTest(dir, env)]);
    const signal = new AbortController().signal;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const first = withProjectLock(a, 'deploy', { wait: false, signal }, async () => {
      order.push('first');
      await held;
      order.push('first done');
    });
    // Until the first holds the lock (a fixed sleep is too short on a loaded machine).
    await until(() => order.includes('first'));
    const refused = await withProjectLock(b, 'scale', { wait: false, signal }, async () => 'ran').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MlpError);
    expect((refused as MlpError).exitCode).toBe(7);
    expect((refused as MlpError).message).toContain('Another deploy of locky is running');
    const waited = withProjectLock(c, 'rollback', { wait: true, signal }, async () => order.push('waited'));
    await until(() => (c.io.stderr as unknown as { text: string }).text.includes('waiting for'));
    release();
    await Promise.all([first, waited]);
    expect(order).toEqual(['first', 'first done', 'waited']);
    expect(existsSync(lockFilePath(dir))).toBe(false);
    expect((c.io.stderr as unknown as { text: string }).text).toMatch(
      /^waiting for `mlp deploy` \(tester on .+\) since .+ to finish \(lock file .+\)…\n$/,
    );
  });

  it('releases the lock when the operation fails', async () => {
    const context = await contextForTest(dir, env);
    const failure = withProjectLock(context, 'deploy', { wait: false, signal: context.signal }, () => Promise.reject(new Error('boom')));
    await expect(failure).rejects.toThrow('boom');
    expect(existsSync(lockFilePath(dir))).toBe(false);
  });

  it('stops waiting when the signal aborts', async () => {
    const [a, b] = await Promise.all([contextForTest(dir, env), contextForTest(dir, env)]);
    const abort = new AbortController();
    let release!: () => void;
    const first = withProjectLock(
      a,
      'deploy',
      { wait: false, signal: abort.signal },
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const waiting = withProjectLock(b, 'deploy', { wait: true, signal: abort.signal }, async () => 'ran');
    setTimeout(() => abort.abort(), 300);
    await expect(waiting).rejects.toMatchObject({ kind: 'interrupted' });
    release();
    await first;
  });
});
