/**
 * The one seam to @actions/core: groups, annotations, masks, outputs and the step summary go through it, never as
 * hand-written `::` lines.
 *
 * @actions/core writes its workflow commands to process.stdout and finds GITHUB_OUTPUT in process.env. mlp's stdout
 * is the command's result (one JSON document with --json, manifests for `kubectl apply -f -`), and its environment is
 * the injected CliIo's (tests run the CLI in-process). The runner reads workflow commands from both streams, so each
 * (synchronous) core call runs with process.stdout.write pointed at mlp's stderr and GITHUB_OUTPUT at the io's.
 */
import { appendFileSync } from 'node:fs';
import * as core from '@actions/core';

/** What the seam writes to: mlp's stderr and its (injected) environment. */
export interface WorkflowIo {
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
}

/** Where an annotation points: a file of the repository, with its line and column. */
export interface AnnotationPlace {
  title?: string;
  file?: string;
  line?: number;
  column?: number;
}

export function isGithubActions(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** A summary table cell: header cells are bold in the first row. */
export type SummaryCell = string | { data: string; header?: boolean };

export class GithubActions {
  private readonly masked = new Set<string>();
  /** A group is open: GitHub does not nest groups, so a stage's own tasks print plain lines inside it. */
  inGroup = false;

  constructor(private readonly io: WorkflowIo) {}

  /** Hides `secret` wherever it would appear later in this job's log. */
  mask(secret: string): void {
    if (secret === '' || this.masked.has(secret)) return;
    this.masked.add(secret);
    this.issue(() => core.setSecret(secret));
  }

  startGroup(name: string): void {
    this.issue(() => core.startGroup(name));
    this.inGroup = true;
  }

  endGroup(): void {
    this.issue(() => core.endGroup());
    this.inGroup = false;
  }

  error(message: string, place: AnnotationPlace = {}): void {
    this.issue(() => core.error(message, properties(place)));
  }

  warning(message: string, place: AnnotationPlace = {}): void {
    this.issue(() => core.warning(message, properties(place)));
  }

  notice(message: string, place: AnnotationPlace = {}): void {
    this.issue(() => core.notice(message, properties(place)));
  }

  /** A step output for later steps (`steps.<id>.outputs.<name>`); nothing without GITHUB_OUTPUT. */
  setOutput(name: string, value: string): void {
    const file = this.io.env.GITHUB_OUTPUT;
    if (!file) return;
    const saved = process.env.GITHUB_OUTPUT;
    process.env.GITHUB_OUTPUT = file;
    try {
      this.issue(() => core.setOutput(name, value));
    } finally {
      if (saved === undefined) delete process.env.GITHUB_OUTPUT;
      else process.env.GITHUB_OUTPUT = saved;
    }
  }

  /**
   * Appends to the step summary (GITHUB_STEP_SUMMARY) what `build` adds to @actions/core's summary buffer; nothing
   * without the variable. The buffer is emptied before and after, so nothing else's text is written with it.
   */
  appendSummary(build: (summary: typeof core.summary) => void): string | undefined {
    const file = this.io.env.GITHUB_STEP_SUMMARY;
    core.summary.emptyBuffer();
    build(core.summary);
    const text = core.summary.stringify();
    core.summary.emptyBuffer();
    if (!file) return undefined;
    appendFileSync(file, text, 'utf8');
    return text;
  }

  /** Runs a core call with its process.stdout writes sent to mlp's stderr. */
  private issue(call: () => void): void {
    const stdout = process.stdout;
    const write = Object.getOwnPropertyDescriptor(stdout, 'write');
    const stderr = this.io.stderr;
    stdout.write = ((chunk: string | Uint8Array) => stderr.write(chunk)) as typeof stdout.write;
    try {
      call();
    } finally {
      if (write) Object.defineProperty(stdout, 'write', write);
      else delete (stdout as { write?: unknown }).write;
    }
  }
}

function properties(place: AnnotationPlace): core.AnnotationProperties {
  return {
    ...(place.title === undefined ? {} : { title: place.title }),
    ...(place.file === undefined ? {} : { file: place.file }),
    ...(place.line === undefined ? {} : { startLine: place.line }),
    ...(place.column === undefined ? {} : { startColumn: place.column }),
  };
}
