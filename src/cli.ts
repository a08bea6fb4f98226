/**
 * The entry point: builds the commander program from the command definitions, parses the command line and
 * resolves to the exit code. It never calls process.exit(), so pending output is flushed and the CLI runs
 * in-process in tests (test/support/run-mlp.ts).
 *
 * This is all `mlp --help` and `mlp --version` load: commander and the definitions (scripts/build.mjs bundles them
 * into dist/cli.cjs). Everything that runs a command — the context, output, error classes, the handler and the
 * library — is imported by src/lib/run-command.ts once commander has chosen the command; it decides the exit code.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { COMMANDS } from './commands/index.js';
import { verbOf, type CommandDefinition } from './lib/command.js';
import type { GlobalOptions } from './lib/context.js';
import type { CliIo } from './lib/output.js';

/** Set by scripts/build.mjs, so the bundled CLI need not find and read package.json to print --version. */
declare const MLP_BUNDLED_VERSION: string | undefined;

export interface MainOptions {
  /** Aborted when the user presses Ctrl-C; bin/mlp wires it to SIGINT. */
  signal?: AbortSignal;
}

/** Runs `mlp <argv>` and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo, options: MainOptions = {}): Promise<number> {
  const signal = options.signal ?? new AbortController().signal;
  const version = typeof MLP_BUNDLED_VERSION === 'string' ? MLP_BUNDLED_VERSION : (await import('./lib/package-root.js')).MLP_VERSION;
  const program = buildProgram(io, version);
  let exitCode = 0;

  for (const definition of COMMANDS) {
    const command = registerCommand(program, definition);
    command.action(async () => {
      const { runCommand } = await import('./lib/run-command.js');
      exitCode = await runCommand(definition, {
        io,
        globals: command.optsWithGlobals() as GlobalOptions,
        options: command.opts(),
        args: command.processedArgs,
        signal,
      });
    });
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // --help and --version end the parse with a CommanderError whose exit code is 0.
    if (error instanceof CommanderError && error.exitCode === 0) return 0;
    const { reportParseFailure } = await import('./lib/run-command.js');
    const failure = error instanceof CommanderError ? { code: error.code, message: error.message } : { error };
    return reportParseFailure(failure, io, argv, COMMANDS.map(verbOf));
  }
  return exitCode;
}

function buildProgram(io: CliIo, version: string): Command {
  const program = new Command('mlp')
    .description('Take a machine-learning model from training to a smoke-tested service on Amazon EKS, or on this machine.')
    .version(version, '-V, --version', 'print the version')
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
      // Commander's parse errors are re-reported by reportParseFailure() in mlp's own format with a hint.
      outputError: () => undefined,
    })
    .addHelpText('after', `\nExit codes: see "Exit codes" in the README. Docs: mlp <command> --help`);
  return program;
}

function registerCommand(program: Command, definition: CommandDefinition): Command {
  const command = program.command(definition.usage).summary(definition.summary);
  command.description(definition.description ? `${definition.summary}\n\n${definition.description}` : definition.summary);
  for (const spec of definition.arguments) {
    const argument = new Argument(spec.name, spec.description);
    if (spec.choices) argument.choices(spec.choices);
    command.addArgument(argument);
  }
  // Keyed as commander stores each value (its attribute name): src/lib/command.test.ts checks every definition.
  for (const spec of Object.values(definition.options)) {
    const option = new Option(spec.flags, spec.description);
    if (spec.choices) option.choices(spec.choices);
    if (spec.default !== undefined) option.default(spec.default);
    command.addOption(option);
  }
  if (definition.examples?.length) {
    command.addHelpText('after', `\nExamples:\n${definition.examples.map((example) => `  $ ${example}`).join('\n')}\n`);
  }
  return command;
}
