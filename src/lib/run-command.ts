/**
 * The half of the entry point that runs once a command does: it builds the context, imports the command's
 * handler, runs it and turns its outcome (or a parse failure) into an exit code and a message. src/cli.ts imports
 * this module only then, so `mlp --help` loads none of it (nor chalk, nor the error classes).
 */
import { verbOf, type CommandDefinition } from './command.js';
import { createContext, type GlobalOptions } from './context.js';
import { EXIT_CODES, MlpError, NotImplementedError, UsageError } from './errors.js';
import { Output, type CliIo } from './output.js';

export interface Invocation {
  io: CliIo;
  globals: GlobalOptions;
  /** What commander parsed from the definition's own flags and arguments. */
  options: Record<string, unknown>;
  args: readonly unknown[];
  signal: AbortSignal;
}

/** Runs one parsed command and resolves to its exit code: a failure is reported here, not thrown. */
export async function runCommand(definition: CommandDefinition, invocation: Invocation): Promise<number> {
  const { io, globals, signal } = invocation;
  const context = await createContext(io, globals, signal);
  try {
    if (definition.handler === undefined) throw new NotImplementedError(`mlp ${verbOf(definition)}`, 'a later issue');
    const { default: handler } = await definition.handler();
    // The one place the declared types are trusted: commander parsed these values from the very declarations
    // the handler's parameter types are derived from (src/lib/command.ts).
    await handler(context, invocation.options as never, invocation.args as never);
    return EXIT_CODES.ok.code;
  } catch (error) {
    if (signal.aborted && !(error instanceof MlpError)) {
      return context.output.failure(new MlpError('interrupted', 'Interrupted; stopped before finishing.', { cause: error }));
    }
    return context.output.failure(error);
  }
}

/** Why commander refused the command line: a CommanderError's code and message, or anything else thrown. */
export type ParseFailure = { code: string; message: string } | { error: unknown };

/** A parse failure (unknown command or flag, bad choice, no command) in mlp's format, with a hint. */
export async function reportParseFailure(
  failure: ParseFailure,
  io: CliIo,
  argv: readonly string[],
  verbs: readonly string[],
): Promise<number> {
  const output = await Output.create(io, outputOptionsFrom(argv));
  if ('error' in failure) return output.failure(failure.error);
  if (failure.code === 'commander.help') {
    return output.failure(new UsageError('No command given.', { hint: 'Run "mlp --help" to list the commands.' }));
  }
  const message = failure.message.replace(/^error: /, '');
  const verb = argv.find((arg) => verbs.includes(arg));
  const helpFor = verb === undefined ? 'mlp --help' : `mlp ${verb} --help`;
  return output.failure(new UsageError(capitalise(message), { hint: `Run "${helpFor}" for usage.` }));
}

/** Enough of the global flags to format an error that happened before commander finished parsing. */
function outputOptionsFrom(argv: readonly string[]) {
  return { json: argv.includes('--json'), verbose: argv.includes('--verbose'), color: !argv.includes('--no-color') };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
