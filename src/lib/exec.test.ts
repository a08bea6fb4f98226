import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, MlpError } from './errors.js';
import { captureOutput, runProgram } from './exec.js';

const node = process.execPath;

describe('runProgram', () => {
  it('streams stdout and stderr line by line and keeps a bounded tail', async () => {
    const seen: string[] = [];
    const script = 'for (let i = 1; i <= 30; i++) console.log("line " + i); console.error("to stderr"); process.exit(3)';
    const result = await runProgram(node, ['-e', script], {
      cwd: tmpdir(),
      tailLines: 5,
      onLine: (line, stream) => seen.push(`${stream}:${line}`),
    });
    expect(result.exitCode).toBe(3);
    expect(seen).toHaveLength(31);
    expect(seen[0]).toBe('stdout:line 1');
    expect(seen.at(-1)).toBe('stderr:to stderr');
    expect(result.tail).toEqual(['line 27', 'line 28', 'line 29', 'line 30', 'to stderr']);
  });

  it('passes env on top of baseEnv', async () => {
    const output = await captureOutput(node, ['-e', 'console.log(process.env.A + "," + process.env.B + "," + process.env.C)'], {
      cwd: tmpdir(),
      baseEnv: { A: 'base', B: 'base' },
      env: { B: 'override' },
    });
    expect(output).toBe('base,override,undefined');
  });

  it('names a missing program in a prerequisite error', async () => {
    const error = await runProgram('mlp-no-such-program', ['--version'], { cwd: tmpdir() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MlpError);
    expect((error as MlpError).exitCode).toBe(EXIT_CODES.prerequisite.code);
    expect((error as MlpError).message).toContain('mlp-no-such-program');
  });

  it('reports a timeout and a cancellation instead of an exit code', async () => {
    const timedOut = await runProgram(node, ['-e', 'setTimeout(() => {}, 60_000)'], { cwd: tmpdir(), timeoutMs: 200 });
    expect(timedOut).toMatchObject({ timedOut: true, exitCode: undefined });

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const canceled = await runProgram(node, ['-e', 'setTimeout(() => {}, 60_000)'], { cwd: tmpdir(), signal: controller.signal });
    expect(canceled).toMatchObject({ canceled: true, exitCode: undefined });
  });
});
