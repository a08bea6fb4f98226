/**
 * The one place mlp starts processes: a thin, typed wrapper around execa that streams a
 * child's output line by line, keeps the last lines for error messages, and turns "program not found" into a
 * prerequisite error that names the program.
 */
import { execa } from 'execa';
import { MlpError } from './errors.js';

export type OutputStream = 'stdout' | 'stderr';

export interface RunProgramOptions {
  cwd: string;
  /** Variables set for the child on top of the parent's environment (`baseEnv`, default process.env). */
  env?: Record<string, string | undefined>;
  /** The environment `env` extends; mlp passes the CLI's own (CliIo.env) so tests control it. */
  baseEnv?: Record<string, string | undefined>;
  /** Called once per line of output, in the order the child wrote them (stdout and stderr interleaved). */
  onLine?: (line: string, stream: OutputStream) => void;
  /** How many of the last lines to keep in the result (default 50). */
  tailLines?: number;
  /** Aborting it terminates the child (SIGTERM, then SIGKILL after 5 s). */
  signal?: AbortSignal;
  /** Kill the child after this long; 0 or undefined means no limit. */
  timeoutMs?: number;
  /** What to call the program in a "not found" error (default `file`). */
  displayName?: string;
  /** Written to the child's stdin, which is closed afterwards (default: no stdin). Secrets go here, never in args. */
  input?: string;
}

export interface ProgramResult {
  /** undefined when the child was killed by a signal. */
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  canceled: boolean;
  /** The last `tailLines` lines of output, oldest first. */
  tail: string[];
  durationMs: number;
}

/**
 * Runs a program to completion and resolves whatever its exit code; it rejects only when the program could not
 * be started: `MlpError('prerequisite')` when it does not exist, or the underlying error otherwise.
 */
export async function runProgram(file: string, args: readonly string[], options: RunProgramOptions): Promise<ProgramResult> {
  const tail = new LineTail(options.tailLines ?? 50);
  const lineHandler = (stream: OutputStream) =>
    function* (line: unknown) {
      const text = String(line);
      tail.push(text);
      options.onLine?.(text, stream);
    };

  const result = await execa(file, args, {
    cwd: options.cwd,
    env: { ...(options.baseEnv ?? process.env), ...options.env },
    extendEnv: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    stdout: lineHandler('stdout'),
    stderr: lineHandler('stderr'),
    buffer: false,
    reject: false,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });

  if (result.code === 'ENOENT') {
    const program = options.displayName ?? file;
    throw new MlpError('prerequisite', `${program} was not found (cwd ${options.cwd}).`, {
      hint: `Install ${program} or put it on PATH, then run mlp again.`,
      cause: result.cause,
    });
  }
  // Spawn failures other than ENOENT (EACCES, a missing cwd, …) have no exit code and no signal.
  if (result.failed && result.exitCode === undefined && result.signal === undefined && !result.timedOut && !result.isCanceled) {
    throw new MlpError(
      'prerequisite',
      `Could not start ${options.displayName ?? file}: ${result.shortMessage ?? result.message ?? 'unknown error'}`,
      {
        hint: 'Check that the program is executable and the working directory exists.',
        cause: result.cause,
      },
    );
  }
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    canceled: result.isCanceled,
    tail: tail.lines(),
    durationMs: result.durationMs,
  };
}

/** Runs a program and returns its trimmed stdout, or undefined when it fails or does not exist. */
export async function captureOutput(
  file: string,
  args: readonly string[],
  options: Pick<RunProgramOptions, 'cwd' | 'baseEnv' | 'env' | 'signal'>,
): Promise<string | undefined> {
  const lines: string[] = [];
  try {
    const result = await runProgram(file, args, {
      ...options,
      timeoutMs: 60_000,
      onLine: (line, stream) => {
        if (stream === 'stdout') lines.push(line);
      },
    });
    return result.exitCode === 0 ? lines.join('\n').trim() : undefined;
  } catch (error) {
    if (error instanceof MlpError) return undefined;
    throw error;
  }
}

/** A ring of the last N lines, so a chatty child cannot grow memory without bound. */
class LineTail {
  private readonly buffer: string[] = [];

  constructor(private readonly size: number) {}

  push(line: string): void {
    this.buffer.push(line);
    if (this.buffer.length > this.size) this.buffer.shift();
  }

  lines(): string[] {
    return [...this.buffer];
  }
}
