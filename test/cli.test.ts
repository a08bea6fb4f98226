import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';
import { defineCommand } from '../src/lib/command.js';
import { EXIT_CODES } from '../src/lib/errors.js';
import { runCommand } from '../src/lib/run-command.js';
import { runMlp } from './support/run-mlp.js';

const ALL_COMMANDS = [
  'init',
  'train',
  'build',
  'push',
  'render',
  'diff',
  'deploy',
  'test',
  'rollback',
  'status',
  'logs',
  'scale',
  'debug',
  'serve',
];
const GLOBAL_FLAGS = ['--dir', '--profile', '--json', '--verbose', '--no-color', '--yes'];

describe('mlp --help', () => {
  it('lists every command of the product with its summary, and the global flags', async () => {
    const run = await runMlp(['--help']);
    expect(run.exitCode).toBe(0);
    const listed = run.stdout.replace(/\s+/g, ' ');
    for (const definition of COMMANDS) {
      const verb = definition.usage.split(' ')[0]!;
      expect(run.stdout, verb).toMatch(new RegExp(`^  ${verb}\\b`, 'm'));
      expect(listed, verb).toContain(definition.summary.replace(/\s+/g, ' '));
    }
    expect(COMMANDS.map((definition) => definition.usage.split(' ')[0])).toEqual(ALL_COMMANDS);
    for (const flag of GLOBAL_FLAGS) expect(run.stdout).toContain(flag);
    expect(run.stderr).toBe('');
  });

  it('gives each command its own help with examples', async () => {
    for (const command of ALL_COMMANDS) {
      const run = await runMlp([command, '--help']);
      expect(run.exitCode, command).toBe(0);
      expect(run.stdout, command).toContain(`Usage: mlp ${command}`);
      expect(run.stdout, command).toContain('Examples:');
    }
  });

  it('prints the package version with --version', async () => {
    const run = await runMlp(['--version']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('usage errors', () => {
  it('exits with the usage code and suggests the command for a typo', async () => {
    const run = await runMlp(['deplyo']);
    expect(run.exitCode).toBe(EXIT_CODES.usage.code);
    expect(run.stderr).toContain("Unknown command 'deplyo'");
    expect(run.stderr).toContain('deploy');
    expect(run.stdout).toBe('');
  });

  it('names an unknown flag and points at the command help', async () => {
    const run = await runMlp(['deploy', '--skip-trian']);
    expect(run.exitCode).toBe(EXIT_CODES.usage.code);
    expect(run.stderr).toContain("'--skip-trian'");
    expect(run.stderr).toContain('--skip-train');
    expect(run.stderr).toContain('mlp deploy --help');
  });

  it('rejects a value outside the allowed choices', async () => {
    const run = await runMlp(['scale', 'sideways']);
    expect(run.exitCode).toBe(EXIT_CODES.usage.code);
    expect(run.stderr).toMatch(/sideways.*up, down/s);
  });

  it('without a command, says so and exits with the usage code', async () => {
    const run = await runMlp([]);
    expect(run.exitCode).toBe(EXIT_CODES.usage.code);
    expect(run.stderr).toContain('No command given');
  });
});

describe('a command without a handler', () => {
  // Every command of the product has one now; a command added before its handler still exits 4 rather than pretend.
  it('exits with the not-implemented code, says nothing was changed, and --json prints the error document', async () => {
    const definition = defineCommand({ usage: 'later', summary: 'not built yet' });
    const run = async (json: boolean) => {
      const stdout = new Captured();
      const stderr = new Captured();
      const exitCode = await runCommand(definition, {
        io: { stdout, stderr, env: { PATH: process.env.PATH }, cwd: process.cwd() },
        globals: { dir: process.cwd(), json, verbose: false, color: false, yes: false },
        options: {},
        args: [],
        signal: new AbortController().signal,
      });
      return { exitCode, stdout: stdout.text, stderr: stderr.text };
    };
    const plain = await run(false);
    expect(plain.exitCode).toBe(EXIT_CODES.notImplemented.code);
    expect(plain.stderr).toContain('mlp later is not built yet; nothing was changed');
    expect(plain.stdout).toBe('');
    const json = await run(true);
    expect(json.exitCode).toBe(EXIT_CODES.notImplemented.code);
    const document = JSON.parse(json.stdout) as { ok: boolean; error: { kind: string; exitCode: number; hint: string } };
    expect(document).toMatchObject({ ok: false, error: { kind: 'notImplemented', exitCode: 4 } });
    expect(document.error.hint).toContain('a later issue');
  });
});

describe('output', () => {
  // An expected failure to look at: `mlp status` where there is no mlp.yaml (a config error, exit 3).
  let empty: string;
  beforeAll(() => {
    empty = mkdtempSync(path.join(tmpdir(), 'mlp-cli-empty-'));
  });
  afterAll(() => rmSync(empty, { recursive: true, force: true }));
  const status = (flags: string[] = [], options: { tty?: boolean; env?: Record<string, string> } = {}) =>
    runMlp(['status', ...flags], { cwd: empty, ...options });
  /** What it says on stderr without colour: the no-colour checks need text to look at, not just no escapes. */
  const plainNoConfig = () =>
    new RegExp(
      `^error: mlp\\.yaml not found in ${escape(empty)}\n  ${escape(empty)}/mlp\\.yaml:1:1: mlp\\.yaml not found in ${escape(empty)}\n` +
        'hint: Run "mlp init" to create one, or pass -C <dir>\\.\n$',
    );

  it('honours NO_COLOR even on a terminal', async () => {
    const run = await status([], { tty: true, env: { NO_COLOR: '1' } });
    expect(run.exitCode).toBe(EXIT_CODES.config.code);
    expect(run.stderr).not.toMatch(/\u001b\[/);
    expect(run.stderr).toMatch(plainNoConfig());
    expect(run.stdout).toBe('');
  });

  it('colours errors on a terminal, and not with --no-color', async () => {
    const coloured = await status([], { tty: true, env: {} });
    expect(coloured.stderr).toMatch(/\u001b\[/);
    const plain = await status(['--no-color'], { tty: true, env: {} });
    expect(plain.stderr).not.toMatch(/\u001b\[/);
    expect(plain.stderr).toMatch(plainNoConfig());
    // Colour changes how the message looks, not what it says.
    expect(coloured.stderr.replace(/\u001b\[\d+(;\d+)*m/g, '')).toBe(plain.stderr);
  });

  it('shows no stack trace for an expected failure unless --verbose', async () => {
    const quiet = await status();
    expect(quiet.exitCode).toBe(EXIT_CODES.config.code);
    expect(quiet.stderr).toMatch(plainNoConfig());
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const verbose = await status(['--verbose']);
    expect(verbose.exitCode).toBe(EXIT_CODES.config.code);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('with --json prints one error document on stdout and the message on stderr', async () => {
    const run = await status(['--json']);
    expect(run.exitCode).toBe(EXIT_CODES.config.code);
    const document = JSON.parse(run.stdout) as { ok: boolean; error: { kind: string; exitCode: number; message: string; hint: string } };
    expect(document).toMatchObject({
      ok: false,
      error: {
        kind: 'config',
        exitCode: 3,
        message: `mlp.yaml not found in ${empty}`,
        hint: 'Run "mlp init" to create one, or pass -C <dir>.',
      },
    });
    expect(run.stderr).toContain(`error: mlp.yaml not found in ${empty}`);
  });
});

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A stream that keeps what is written (runCommand writes to it as to stdout or stderr). */
class Captured extends Writable {
  text = '';
  isTTY = false;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
