/**
 * The entry point: builds the commander program, runs one command and turns its outcome into an exit code.
 * Only this file decides exit codes, and it never calls process.exit(), so pending output is flushed and the
 * CLI can run in-process in tests (test/support/run-mlp.ts).
 */
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import type { CommandDefinition } from './lib/command.js';
import { createContext, type GlobalOptions } from './lib/context.js';
import { EXIT_CODES, MlpError, UsageError } from './lib/errors.js';
import { Output, type CliIo } from './lib/output.js';
import { MLP_VERSION } from './lib/package-root.js';


export interface MainOptions {
  /** Aborted when the user presses Ctrl-C; bin/mlp wires it to SIGINT. */
  signal?: AbortSignal;
}

/** Runs `mlp <argv>` and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo, options: MainOptions = {}): Promise<number> {
  const signal = options.signal ?? new AbortController().signal;
  const program = buildProgram(io);
  let failure: { error: unknown; output: Output } | undefined;

  for (const definition of COMMANDS) {
    const command = registerCommand(program, definition);
    command.action(async () => {
      const context = await createContext(io, command.optsWithGlobals() as GlobalOptions, signal);
      try {
        await definition.run(context, command.opts(), command.processedArgs as string[]);
      } catch (error) {
        failure = { error, output: context.output };
      }
    });
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    return await parseFailureCode(error, io, argv);
  }
  if (failure === undefined) return EXIT_CODES.ok.code;
  if (signal.aborted && !(failure.error instanceof MlpError)) {
    return failure.output.failure(new MlpError('interrupted', 'Interrupted; stopped before finishing.', { cause: failure.error }));
  }
  return failure.output.failure(failure.error);
}

function buildProgram(io: CliIo): Command {
  const program = new Command('mlp')
    .description('Take a machine-learning model from training to a smoke-tested service on Amazon EKS, or on this machine.')
    .version(MLP_VERSION, '-V, --version', 'print the version')
    .option('-C, --dir <path>', 'run as if mlp was started in <path>', '.')
    .option('--profile <name>', 'activate this profile from mlp.yaml')
    .option('--json', 'print one JSON document on stdout and nothing else there', false)
    .option('--verbose', 'print debug lines and stack traces', false)
    .option('--no-color', 'no colours (NO_COLOR and FORCE_COLOR are honoured too)')
    .option('-y, --yes', 'confirm destructive actions without asking (needed in CI)', false)
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Commander's parse errors are re-reported by exitCodeFor() in mlp's own format with a hint.
      outputError: () => undefined,
    })
    .addHelpText('after', `\nExit codes: see "Exit codes" in the README. Docs: mlp <command> --help`);
  return program;
}

function registerCommand(program: Command, definition: CommandDefinition): Command {
  const command = program.command(definition.usage).summary(definition.summary);
  command.description(definition.description ? `${definition.summary}\n\n${definition.description}` : definition.summary);
  definition.configure?.(command);
  if (definition.examples?.length) {
    command.addHelpText('after', `\nExamples:\n${definition.examples.map((example) => `  $ ${example}`).join('\n')}\n`);
  }
  return command;
}

async function parseFailureCode(error: unknown, io: CliIo, argv: readonly string[]): Promise<number> {
  // --help and --version end the parse with a CommanderError whose exit code is 0.
  if (error instanceof CommanderError && error.exitCode === 0) return EXIT_CODES.ok.code;
  const output = await Output.create(io, outputOptionsFrom(argv));
  if (!(error instanceof CommanderError)) return output.failure(error);
  if (error.code === 'commander.help') {
    return output.failure(new UsageError('No command given.', { hint: 'Run "mlp --help" to list the commands.' }));
  }
  const message = error.message.replace(/^error: /, '');
  const verb = argv.find((arg) => COMMANDS.some((definition) => definition.usage.split(' ')[0] === arg));
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
