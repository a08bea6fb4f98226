/**
 * Writes log lines to stdout as the command was asked: one JSON object per line with --json; otherwise each line
 * after its source's label, with the serving app's JSON records made readable and the labels coloured when stdout
 * is a terminal (NO_COLOR, FORCE_COLOR and --no-color decide the colours, as for everything mlp prints).
 */
import type { ChalkInstance } from 'chalk';
import type { CommandContext } from '../context.js';
import { humanLine, jsonLine, NO_PAINT, sourceLabel, type LogSource, type Painter } from './format-line.js';

const SOURCE_COLOURS = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'cyanBright', 'magentaBright', 'greenBright'] as const;

export class LogPrinter {
  readonly #stdout: NodeJS.WritableStream;
  readonly #json: boolean;
  readonly #readable: boolean;
  readonly #paint: Painter;
  readonly #indexes = new Map<string, number>();
  readonly #closed = new AbortController();
  #width = 0;

  /**
   * Aborted on Ctrl-C, or when stdout is closed (`mlp logs -f | head` once head has its lines): a follow stops then
   * rather than writing into a closed pipe.
   */
  readonly stop: AbortSignal;

  constructor(context: Pick<CommandContext, 'io' | 'output' | 'signal'>) {
    this.#stdout = context.io.stdout;
    this.#json = context.output.json;
    // Readable records for a person at a terminal; piped, the app's own lines go on unchanged (for grep or jq).
    this.#readable = Boolean(context.io.stdout.isTTY);
    const chalk = context.output.color;
    this.#paint = this.#readable && chalk.level > 0 ? painter(chalk) : NO_PAINT;
    this.stop = AbortSignal.any([context.signal, this.#closed.signal]);
    // EPIPE arrives as an error event; unheard, it would end mlp with an uncaught exception.
    context.io.stdout.on('error', () => this.#closed.abort());
  }

  /** Makes room for these sources' labels, so lines already known to come line up from the start. */
  expect(sources: readonly LogSource[]): void {
    for (const source of sources) this.#width = Math.max(this.#width, sourceLabel(source).length);
  }

  print(source: LogSource, line: string): void {
    if (this.#closed.signal.aborted) return;
    if (this.#json) {
      this.#stdout.write(`${jsonLine(source, line)}\n`);
      return;
    }
    const label = sourceLabel(source);
    let index = this.#indexes.get(label);
    if (index === undefined) this.#indexes.set(label, (index = this.#indexes.size));
    this.#width = Math.max(this.#width, label.length);
    this.#stdout.write(`${humanLine(source, line, { readable: this.#readable, width: this.#width, index, paint: this.#paint })}\n`);
  }
}

function painter(chalk: ChalkInstance): Painter {
  return {
    source: (text, index) => chalk[SOURCE_COLOURS[index % SOURCE_COLOURS.length]!](text),
    level: (text, level) =>
      level >= 50 ? chalk.red(text) : level >= 40 ? chalk.yellow(text) : level >= 30 ? chalk.green(text) : chalk.dim(text),
    dim: (text) => chalk.dim(text),
  };
}
