/**
 * A command is a declared definition: its name, help text, its own flags and a handler that receives the
 * context. src/cli.ts registers them; handlers import the heavy library modules lazily so that
 * `mlp --help` loads none of them.
 */
import type { Command } from 'commander';
import type { CommandContext } from './context.js';
import { NotImplementedError } from './errors.js';

export type CommandOptions = Record<string, unknown>;

export interface CommandDefinition {
  /** The verb, with commander's argument syntax: `scale <direction>`, `logs [service]`. */
  usage: string;
  /** One line shown in `mlp --help`. */
  summary: string;
  /** Paragraphs shown in `mlp <verb> --help`, under the summary. */
  description?: string;
  /** Shown at the end of `mlp <verb> --help`. */
  examples?: readonly string[];
  /** Registers the command's own flags. */
  configure?(command: Command): void;
  run(context: CommandContext, options: CommandOptions, args: readonly string[]): Promise<void>;
}

export function defineCommand(definition: CommandDefinition): CommandDefinition {
  return definition;
}

/**
 * Handler for a command that is registered with its real flags and help but not built yet: it exits with the
 * notImplemented code and changes nothing, rather than pretending to succeed.
 */
export function notBuiltYet(what: string, plannedIn: string): CommandDefinition['run'] {
  return async () => {
    throw new NotImplementedError(what, plannedIn);
  };
}
