/**
 * Where mlp writes: results on stdout, progress and diagnostics on stderr (so `mlp render | kubectl apply -f -`
 * works), one JSON document on stdout with --json, colour only where a person reads it.
 */
import type { ChalkInstance } from 'chalk';
import { EXIT_CODES, isMlpError, MlpError, type ExitCodeName } from './errors.js';
import type { GithubActionsRun } from './github-actions/workflow.js';

/** The process's standard streams and environment, injectable so the CLI runs in-process in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface OutputOptions {
  json: boolean;
  verbose: boolean;
  /** false when --no-color was given. */
  color: boolean;
}

/**
 * CI systems (GitHub Actions among them) set CI=true and sometimes allocate a fake TTY; animated progress there
 * turns logs into thousands of redraw lines, so CI counts as non-interactive whatever isTTY says.
 */
export function isCi(env: Record<string, string | undefined>): boolean {
  const ci = env.CI;
  return (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') || env.GITHUB_ACTIONS === 'true';
}

/** Colour level after NO_COLOR (https://no-color.org), FORCE_COLOR and --no-color. */
export function colorLevel(io: CliIo, wantColor: boolean): 0 | 1 | 2 | 3 {
  if (!wantColor) return 0;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    const level = Number(force);
    return level >= 1 && level <= 3 ? (level as 1 | 2 | 3) : 1;
  }
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return 0;
  if (io.env.TERM === 'dumb') return 0;
  return io.stderr.isTTY ? 1 : 0;
}

export class Output {
  readonly color: ChalkInstance;
  readonly interactive: boolean;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly ci: boolean;

  /**
   * chalk is imported here rather than at the top: its terminal detection loads node:tty and node:os, which
   * would cost `mlp --help` and `mlp --version` (which print no colour) a third of their start-up time.
   */
  static async create(io: CliIo, options: OutputOptions): Promise<Output> {
    const { Chalk } = await import('chalk');
    // @actions/core and the annotations are loaded only inside a workflow run.
    const workflow = io.env.GITHUB_ACTIONS === 'true' ? await import('./github-actions/workflow.js') : undefined;
    return new Output(io, options, new Chalk({ level: colorLevel(io, options.color) }), workflow?.openWorkflow(io));
  }

  private constructor(
    readonly io: CliIo,
    options: OutputOptions,
    color: ChalkInstance,
    /** Inside a GitHub Actions run (GITHUB_ACTIONS=true): groups, annotations, masks, outputs, the step summary. */
    readonly actions?: GithubActionsRun,
  ) {
    this.json = options.json;
    this.verbose = options.verbose;
    this.ci = isCi(io.env);
    this.interactive = Boolean(io.stderr.isTTY) && !this.ci;
    this.color = color;
  }

  /** A progress or diagnostic line, on stderr. */
  info(message: string): void {
    this.io.stderr.write(`${message}\n`);
  }

  /** On GitHub Actions a warning annotation, which the log shows in place as well. */
  warn(message: string): void {
    if (this.actions) this.actions.core.warning(message);
    else this.io.stderr.write(`${this.color.yellow('warning:')} ${message}\n`);
  }

  debug(message: string): void {
    if (this.verbose) this.io.stderr.write(`${this.color.dim(message)}\n`);
  }

  /**
   * The command's result: the JSON document with --json, otherwise the human text on stdout.
   * Call once per command.
   */
  result(document: unknown, human: string | (() => string)): void {
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify({ ok: true, ...asObject(document) }, null, 2)}\n`);
      return;
    }
    const text = typeof human === 'function' ? human() : human;
    if (text !== '') this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * The result of a command whose finding can be a failure (mlp status, mlp debug): the human text is printed either
   * way and then `failure` thrown; with --json the document goes into the one failure document instead of its own.
   */
  resultOrFailure(document: Readonly<Record<string, unknown>>, human: string | (() => string), failure: MlpError | undefined): void {
    if (!failure || !this.json) this.result(document, human);
    if (failure) throw new MlpError(failure.kind, failure.message, { details: failure.details, hint: failure.hint, document });
  }

  /** Prints a failure: message, details and hint on stderr; with --json also the error document on stdout. */
  failure(error: unknown): number {
    const kind: ExitCodeName = isMlpError(error) ? error.kind : 'internal';
    const code = EXIT_CODES[kind].code;
    const message = error instanceof Error ? error.message : String(error);
    const details = isMlpError(error) ? error.details : [];
    const hint = isMlpError(error) ? error.hint : 'This is a bug in mlp; re-run with --verbose and report the output.';

    const c = this.color;
    const lines = [`${c.red('error:')} ${message}`, ...details.map((d) => `  ${d}`)];
    if (hint) lines.push(`${c.cyan('hint:')} ${hint}`);
    if (error instanceof Error && (this.verbose || kind === 'internal') && error.stack) {
      lines.push(c.dim(this.verbose ? fullStack(error) : error.stack));
    }
    this.io.stderr.write(`${lines.join('\n')}\n`);
    this.actions?.annotateFailure(error);

    if (this.json) {
      const found = isMlpError(error) ? error.document : undefined;
      const document = { ok: false, ...found, error: { kind, exitCode: code, message, details, hint: hint ?? null } };
      this.io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    }
    return code;
  }
}

function asObject(document: unknown): Record<string, unknown> {
  return document !== null && typeof document === 'object' && !Array.isArray(document)
    ? (document as Record<string, unknown>)
    : { result: document };
}

function fullStack(error: Error): string {
  let text = error.stack ?? String(error);
  let cause = error.cause;
  while (cause instanceof Error) {
    text += `\ncaused by: ${cause.stack ?? cause.message}`;
    cause = cause.cause;
  }
  return text;
}
