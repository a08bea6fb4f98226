/**
 * Runs the CLI in-process, as `mlp <argv>` would, and captures what it writes. Tests use it to check messages
 * and exit codes without spawning a process per case.
 */
import { Writable } from 'node:stream';
import { main } from '../../src/cli.js';
import { createContext, type CommandContext } from '../../src/lib/context.js';

export interface MlpRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunMlpOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Pretend stderr is a terminal (for colour and progress rendering). */
  tty?: boolean;
  signal?: AbortSignal;
}

class CapturedStream extends Writable {
  text = '';
  isTTY: boolean;

  constructor(isTTY: boolean) {
    super();
    this.isTTY = isTTY;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export async function runMlp(argv: readonly string[], options: RunMlpOptions = {}): Promise<MlpRun> {
  const stdout = new CapturedStream(options.tty ?? false);
  const stderr = new CapturedStream(options.tty ?? false);
  // A clean environment by default, so the developer's own AWS or CI variables can't change what tests see.
  const env = options.env ?? { PATH: process.env.PATH, HOME: process.env.HOME };
  const exitCode = await main(
    argv,
    { stdout, stderr, env, cwd: options.cwd ?? process.cwd() },
    options.signal ? { signal: options.signal } : {},
  );
  return { exitCode, stdout: stdout.text, stderr: stderr.text };
}

/** A command context over captured streams, for tests that call the library directly (as a command would). */
export async function contextForTest(
  dir = process.cwd(),
  env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME },
): Promise<CommandContext> {
  const io = { stdout: new CapturedStream(false), stderr: new CapturedStream(false), env, cwd: dir };
  return createContext(io, { dir, json: false, verbose: false, color: false, yes: false }, new AbortController().signal);
}
