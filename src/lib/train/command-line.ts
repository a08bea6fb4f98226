/**
 * Turns training.command into a program and its arguments. A list is run as it is; a string is split into words
 * with POSIX quoting and run directly, never through a shell, so a missing program is reported by name and a path
 * with spaces in ${MLP_OUTPUT_DIR} stays one argument. A string that needs a shell (pipes, `&&`, redirections,
 * globs) is refused with a hint rather than passed on as literal words.
 */
import { MlpError } from '../errors.js';

/** The placeholders mlp fills in itself; everything else about a `$` is left to a shell. */
export const PLACEHOLDERS = ['MLP_OUTPUT_DIR', 'MLP_MODEL_VERSION'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export interface CommandLine {
  file: string;
  args: string[];
}

export function resolveCommand(command: string | readonly string[], values: Record<Placeholder, string>): CommandLine {
  if (typeof command !== 'string') {
    const [file, ...args] = command.map((word) => substitute(word, values));
    if (file === undefined || file === '') throw emptyCommand();
    return { file, args };
  }
  const words = splitWords(command);
  if (words === undefined) {
    throw new MlpError('config', `training.command uses shell syntax, but mlp runs it without a shell: ${command}`, {
      hint: `Write it as a list, or run a shell explicitly: command: [sh, -c, "…"] (mlp fills \${MLP_OUTPUT_DIR} there too).`,
    });
  }
  const [file, ...args] = words.map((word) => substitute(word, values));
  if (file === undefined) throw emptyCommand();
  return { file, args };
}

function emptyCommand(): MlpError {
  return new MlpError('config', 'training.command is empty.', {
    hint: 'Set training.command to the program that trains the model, e.g. python train.py --out ${MLP_OUTPUT_DIR}.',
  });
}

/** Replaces `${MLP_OUTPUT_DIR}` and `${MLP_MODEL_VERSION}` (and their `$NAME` forms). */
export function substitute(word: string, values: Record<Placeholder, string>): string {
  return word.replace(
    /\$\{(MLP_OUTPUT_DIR|MLP_MODEL_VERSION)\}|\$(MLP_OUTPUT_DIR|MLP_MODEL_VERSION)\b/g,
    (_match, braced?: string, bare?: string) => {
      return values[(braced ?? bare) as Placeholder];
    },
  );
}

const SHELL_SYNTAX = new Set(['|', '&', ';', '<', '>', '(', ')', '`', '*', '?', '[', ']', '~', '{', '}', '#', '\n']);

/**
 * Splits a command string the way sh would split plain words, or returns undefined when the string uses any
 * other shell feature. `$` is allowed only in an mlp placeholder (mlp.yaml's loader has filled other `${VAR}`s).
 */
export function splitWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  let index = 0;
  const append = (value: string) => {
    word = (word ?? '') + value;
  };

  while (index < text.length) {
    const char = text[index]!;
    if (char === ' ' || char === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
      index += 1;
    } else if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end === -1) return undefined;
      append(text.slice(index + 1, end));
      index = end + 1;
    } else if (char === '"') {
      let value = '';
      index += 1;
      for (;;) {
        const inner = text[index];
        if (inner === undefined) return undefined;
        if (inner === '"') break;
        if (inner === '`') return undefined;
        if (inner === '$') {
          const placeholder = placeholderAt(text, index);
          if (placeholder === undefined) return undefined;
          value += placeholder;
          index += placeholder.length;
          continue;
        }
        if (inner === '\\' && index + 1 < text.length && '$`"\\'.includes(text[index + 1]!)) {
          value += text[index + 1];
          index += 2;
          continue;
        }
        value += inner;
        index += 1;
      }
      append(value);
      index += 1;
    } else if (char === '\\') {
      const next = text[index + 1];
      if (next === undefined || next === '\n') return undefined;
      append(next);
      index += 2;
    } else if (char === '$') {
      const placeholder = placeholderAt(text, index);
      if (placeholder === undefined) return undefined;
      append(placeholder);
      index += placeholder.length;
    } else if (SHELL_SYNTAX.has(char)) {
      return undefined;
    } else {
      append(char);
      index += 1;
    }
  }
  if (word !== undefined) words.push(word);
  // A leading NAME=value is an environment assignment in sh; leave that to a shell too.
  if (words[0]?.match(/^[A-Za-z_][A-Za-z0-9_]*=/)) return undefined;
  return words;
}

function placeholderAt(text: string, index: number): string | undefined {
  const match = /^\$(\{(MLP_OUTPUT_DIR|MLP_MODEL_VERSION)\}|(MLP_OUTPUT_DIR|MLP_MODEL_VERSION)\b)/.exec(text.slice(index));
  return match?.[0];
}
