import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/lib/errors.js';
import { runMlp } from './support/run-mlp.js';

function emptyProject(name = 'Fraud Detector'): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'mlp-init-')), name);
  mkdirSync(dir);
  return dir;
}

describe('mlp init', () => {
  it('writes an mlp.yaml that mlp itself accepts, named after the directory', async () => {
    const dir = emptyProject();
    const init = await runMlp(['init', '-C', dir]);
    expect(init.exitCode, init.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'mlp.yaml'), 'utf8')).toContain('name: fraud-detector');

    const plan = await runMlp(['deploy', '-C', dir, '--dry-run', '--json']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ ok: true, project: 'fraud-detector' });
  });

  it('points editors at the JSON Schema shipped with mlp, from the installed entry point too', async () => {
    const bin = path.resolve(import.meta.dirname, '..', 'bin', 'mlp');
    const viaSource = emptyProject('svc');
    const viaBin = emptyProject('svc');
    await runMlp(['init', '-C', viaSource]);
    // The bundle's chunks sit at another depth than the sources: the path must be right from both.
    execFileSync(process.execPath, [bin, 'init', '-C', viaBin], { env: { PATH: process.env.PATH } });
    for (const dir of [viaSource, viaBin]) {
      const firstLine = readFileSync(path.join(dir, 'mlp.yaml'), 'utf8').split('\n')[0]!;
      const schemaPath = /\$schema=(.+)$/.exec(firstLine)![1]!;
      expect(readFileSync(path.resolve(dir, schemaPath), 'utf8'), dir).toContain('"apiVersion"');
    }
  });

  it('refuses to overwrite an existing mlp.yaml unless --force', async () => {
    const dir = emptyProject('svc');
    expect((await runMlp(['init', '-C', dir])).exitCode).toBe(0);
    const again = await runMlp(['init', '-C', dir, '--name', 'other']);
    expect(again.exitCode).toBe(EXIT_CODES.usage.code);
    expect(again.stderr).toContain('--force');
    expect(readFileSync(path.join(dir, 'mlp.yaml'), 'utf8')).toContain('name: svc');
    expect((await runMlp(['init', '-C', dir, '--name', 'other', '--force'])).exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'mlp.yaml'), 'utf8')).toContain('name: other');
  });

  it('rejects a name that cannot name Kubernetes objects', async () => {
    const dir = emptyProject('svc');
    const run = await runMlp(['init', '-C', dir, '--name', 'Bad_Name']);
    expect(run.exitCode).toBe(EXIT_CODES.usage.code);
    expect(run.stderr).toContain('DNS-1123');
  });
});
