import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';
import { EXIT_CODES } from '../src/lib/errors.js';
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

describe('commands not built yet', () => {
  for (const argv of [['debug', 'ecr']]) {
    it(`mlp ${argv.join(' ')} exits with the not-implemented code instead of pretending`, async () => {
      const run = await runMlp(argv);
      expect(run.exitCode).toBe(EXIT_CODES.notImplemented.code);
      expect(run.stderr).toContain('is not built yet; nothing was changed');
      expect(run.stdout).toBe('');
    });
  }

  it('with --json prints one error document on stdout and the message on stderr', async () => {
    const run = await runMlp(['debug', 'ecr', '--json']);
    expect(run.exitCode).toBe(EXIT_CODES.notImplemented.code);
    const document = JSON.parse(run.stdout) as { ok: boolean; error: { kind: string; exitCode: number; hint: string } };
    expect(document).toMatchObject({ ok: false, error: { kind: 'notImplemented', exitCode: 4 } });
    expect(document.error.hint).toContain('a later issue');
    expect(run.stderr).toContain('not built yet');
  });
});

describe('output', () => {
  // What `mlp debug ecr` says on stderr without colour: the no-colour checks need text to look at, not just no escapes.
  const PLAIN_NOT_BUILT = /^error: mlp debug ecr is not built yet; nothing was changed\.\nhint: It is planned in a later issue\..*\n$/;

  it('honours NO_COLOR even on a terminal', async () => {
    const run = await runMlp(['debug', 'ecr'], { tty: true, env: { NO_COLOR: '1' } });
    expect(run.exitCode).toBe(EXIT_CODES.notImplemented.code);
    expect(run.stderr).not.toMatch(/\u001b\[/);
    expect(run.stderr).toMatch(PLAIN_NOT_BUILT);
  });

  it('colours errors on a terminal, and not with --no-color', async () => {
    const coloured = await runMlp(['debug', 'ecr'], { tty: true, env: {} });
    expect(coloured.stderr).toMatch(/\u001b\[/);
    const plain = await runMlp(['debug', 'ecr', '--no-color'], { tty: true, env: {} });
    expect(plain.stderr).not.toMatch(/\u001b\[/);
    expect(plain.stderr).toMatch(PLAIN_NOT_BUILT);
    // Colour changes how the message looks, not what it says.
    expect(coloured.stderr.replace(/\u001b\[\d+(;\d+)*m/g, '')).toBe(plain.stderr);
  });

  it('shows no stack trace for an expected failure unless --verbose', async () => {
    const quiet = await runMlp(['debug', 'ecr']);
    expect(quiet.stderr).toMatch(PLAIN_NOT_BUILT);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    expect((await runMlp(['debug', 'ecr', '--verbose'])).stderr).toMatch(/\n\s+at /);
  });
});
