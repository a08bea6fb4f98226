import { describe, expect, it } from 'vitest';
import { commandLine, describeHolder, formatAge, lockedError, parseHolder, type LockHolder } from './holder.js';

const holder: LockHolder = {
  id: 'alice@build-3-4242-abcd',
  operation: 'deploy',
  user: 'alice',
  host: 'build-3',
  pid: 4242,
  command: 'mlp deploy --target local',
  since: '2026-12-03T07:21:52.000Z',
};

describe('the lock holder', () => {
  it('is described with its command, user, host, pid and since when', () => {
    expect(describeHolder(holder, new Date('2026-12-03T07:22:04.000Z'))).toBe(
      '`mlp deploy --target local` (alice on build-3, pid 4242) since 2026-12-03T07:21:52.000Z (12 s ago)',
    );
  });

  it('makes the locked error (exit 7) with the hint to wait', () => {
    const error = lockedError('fraud', holder, 'lock file /p/.mlp/lock', new Date('2026-12-03T07:31:52.000Z'));
    expect(error.exitCode).toBe(7);
    expect(error.message).toBe(
      'Another deploy of fraud is running: `mlp deploy --target local` (alice on build-3, pid 4242) since 2026-12-03T07:21:52.000Z (10 min ago).',
    );
    expect(error.details).toEqual(['lock: lock file /p/.mlp/lock']);
    expect(error.hint).toBe('wait for it, or run with --wait');
  });

  it('reads back what it wrote, and anything else as unknown rather than failing', () => {
    expect(parseHolder(JSON.parse(JSON.stringify(holder)))).toEqual(holder);
    expect(parseHolder({ pid: '17', operation: 'dance' })).toMatchObject({ pid: 17, operation: 'unknown', user: 'unknown' });
    expect(parseHolder({ pid: -1 })?.pid).toBe(0);
    expect(parseHolder('x')).toBeUndefined();
    expect(parseHolder(null)).toBeUndefined();
  });

  it('names the command line only when this process is the CLI', () => {
    expect(commandLine('deploy', ['/usr/bin/node', '/opt/mlp/bin/mlp', 'deploy', '--wait'])).toBe('mlp deploy --wait');
    expect(commandLine('deploy', ['/usr/bin/node', '/opt/mlp/dist/cli.cjs', 'rollback', 'api'])).toBe('mlp rollback api');
    expect(commandLine('scale', ['/usr/bin/node', '/x/vitest.mjs', 'run'])).toBe('mlp scale');
  });

  it('formats ages in the unit a person reads', () => {
    expect(formatAge(-5)).toBe('0 s');
    expect(formatAge(90_000)).toBe('90 s');
    expect(formatAge(10 * 60_000)).toBe('10 min');
    expect(formatAge(5 * 3_600_000)).toBe('5 h');
    expect(formatAge(3 * 86_400_000)).toBe('3 d');
  });
});
