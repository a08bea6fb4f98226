import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'mlp');
const recorder = path.join(root, 'test', 'support', 'record-imports.mjs');

/** Runs the installed entry point as a real process and returns every module URL it resolved. */
function modulesLoadedBy(args: string[]): string[] {
  const log = path.join(mkdtempSync(path.join(tmpdir(), 'mlp-imports-')), 'imports.log');
  execFileSync(process.execPath, ['--import', recorder, bin, ...args], {
    env: { PATH: process.env.PATH, MLP_IMPORT_LOG: log },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

const HEAVY = ['@aws-sdk', '@smithy', '@kubernetes/client-node', 'onnxruntime', 'listr2', 'zod', '/yaml/', 'execa'];

describe('start-up', () => {
  for (const args of [['--help'], ['--version'], ['deploy', '--help']]) {
    it(`mlp ${args.join(' ')} loads none of the heavy libraries`, () => {
      const loaded = modulesLoadedBy(args);
      expect(loaded.some((url) => url.includes('/dist/cli.cjs'))).toBe(true);
      expect(
        loaded.filter((url) => url.includes('/dist/') && !url.endsWith('/dist/cli.cjs')),
        'start-up loads one file of dist/',
      ).toEqual([]);
      for (const heavy of HEAVY) {
        expect(
          loaded.filter((url) => url.includes(heavy)),
          heavy,
        ).toEqual([]);
      }
    });
  }

  it('the bin entry point exits 0 and prints the commands', () => {
    const help = execFileSync(process.execPath, [bin, '--help'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(help).toContain('deploy');
  });
});
