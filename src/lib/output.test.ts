import { describe, expect, it } from 'vitest';
import { colorLevel, isCi, type CliIo } from './output.js';

const io = (env: Record<string, string>, isTTY: boolean): CliIo =>
  ({ stdout: { isTTY }, stderr: { isTTY }, env, cwd: '/' }) as unknown as CliIo;

describe('isCi', () => {
  it('treats CI=true, CI=1 and GitHub Actions as CI, and CI=false or empty as not', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ GITHUB_ACTIONS: 'true' })).toBe(true);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
    expect(isCi({})).toBe(false);
  });
});

describe('colorLevel', () => {
  it('colours a terminal and not a pipe', () => {
    expect(colorLevel(io({}, true), true)).toBe(1);
    expect(colorLevel(io({}, false), true)).toBe(0);
  });

  it('honours NO_COLOR, TERM=dumb and --no-color', () => {
    expect(colorLevel(io({ NO_COLOR: '1' }, true), true)).toBe(0);
    expect(colorLevel(io({ TERM: 'dumb' }, true), true)).toBe(0);
    expect(colorLevel(io({}, true), false)).toBe(0);
  });

  it('lets FORCE_COLOR colour a pipe, at the level it names', () => {
    expect(colorLevel(io({ FORCE_COLOR: '3' }, false), true)).toBe(3);
    expect(colorLevel(io({ FORCE_COLOR: '0' }, true), true)).toBe(0);
  });
});
