import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, MlpError } from '../errors.js';
import { captureOutput } from '../exec.js';
import { ensurePythonEnv, venvKey } from './python-env.js';

const env = { ...process.env };

function projectWithRequirements(text: string): { projectDir: string; requirementsFile: string } {
  const projectDir = mkdtempSync(path.join(tmpdir(), 'mlp-venv-'));
  const requirementsFile = path.join(projectDir, 'requirements.txt');
  writeFileSync(requirementsFile, text);
  return { projectDir, requirementsFile };
}

describe('venvKey', () => {
  it('changes with the requirements and with the Python version, and only with them', () => {
    const key = venvKey('numpy==2.0.0\n', '3.11.7 (main) x86_64');
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(venvKey('numpy==2.0.0\n', '3.11.7 (main) x86_64\n')).toBe(key);
    expect(venvKey('numpy==2.0.1\n', '3.11.7 (main) x86_64')).not.toBe(key);
    expect(venvKey('numpy==2.0.0\n', '3.12.1 (main) x86_64')).not.toBe(key);
  });
});

describe('ensurePythonEnv', () => {
  it('creates a venv under .mlp/venvs once and reuses it', async () => {
    // No packages, so nothing is downloaded: this checks creation and caching, not pip.
    const { projectDir, requirementsFile } = projectWithRequirements('# no packages\n');
    const first = await ensurePythonEnv({ projectDir, requirementsFile, baseEnv: env });
    expect(first.created).toBe(true);
    expect(first.dir).toBe(path.join(projectDir, '.mlp', 'venvs', first.key));
    const prefix = await captureOutput(path.join(first.binDir, 'python'), ['-c', 'import sys; print(sys.prefix)'], {
      cwd: projectDir,
      baseEnv: env,
    });
    expect(prefix).toBe(first.dir);

    const second = await ensurePythonEnv({ projectDir, requirementsFile, baseEnv: env });
    expect(second).toEqual({ ...first, created: false });
    expect(existsSync(`${first.dir}.lock`)).toBe(false);
  }, 120_000);

  it('keeps venvs in cacheDir when one is given', async () => {
    const { projectDir, requirementsFile } = projectWithRequirements('# cached elsewhere\n');
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'mlp-venv-cache-'));
    const venv = await ensurePythonEnv({ projectDir, requirementsFile, cacheDir, baseEnv: env });
    expect(path.dirname(venv.dir)).toBe(cacheDir);
  }, 120_000);

  it('a missing interpreter is a prerequisite error naming it', async () => {
    const { projectDir, requirementsFile } = projectWithRequirements('numpy\n');
    const error = await ensurePythonEnv({ projectDir, requirementsFile, python: 'mlp-no-such-python3', baseEnv: env }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MlpError);
    expect((error as MlpError).exitCode).toBe(EXIT_CODES.prerequisite.code);
    expect((error as MlpError).message).toContain('mlp-no-such-python3');
  });

  it('a missing requirements file is a config error naming it', async () => {
    const { projectDir } = projectWithRequirements('');
    const error = await ensurePythonEnv({ projectDir, requirementsFile: path.join(projectDir, 'nope.txt'), baseEnv: env }).catch(
      (caught: unknown) => caught,
    );
    expect((error as MlpError).exitCode).toBe(EXIT_CODES.config.code);
    expect((error as MlpError).message).toContain('nope.txt');
  });
});
