/**
 * A command is a declared definition (src/commands/<verb>.ts): its verb, help text, flags and positional arguments
 * as data, and a handler in a module of its own (src/commands/handlers/<verb>.ts) that is imported only when the
 * command runs. `mlp --help` loads the definitions and commander, nothing else (scripts/build.mjs bundles them into
 * dist/cli.cjs). Each flag's syntax gives its value a type; defineCommand checks that the handler accepts
 * those values, so a handler states the options it reads as a plain interface and never checks what commander
 * handed over.
 *
 * This module is loaded at start-up: it may import types only.
 */
import type { CommandContext } from './context.js';

declare const valueType: unique symbol;

/** A flag as `--help` shows it, carrying the type of the value commander gives the handler. */
export interface OptionSpec<Value = unknown> {
  /** commander's flag syntax: `-f, --follow`, `--out <dir>`, `--service <name...>`, `--dry-run [where]`, `--no-cache`. */
  readonly flags: string;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly default?: string;
  /** Type only: what the handler receives. */
  readonly [valueType]?: Value;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** A positional argument with help text or choices (plain ones are written in `usage`). */
export interface ArgumentSpec<Value = unknown> {
  /** `<topic>` (required) or `[service]` (optional). */
  readonly name: string;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly [valueType]?: Value;
}

/** What commander hands over for a flag written `Flags`: its syntax decides the type. */
type FlagValue<Flags extends string, Choice extends string> = Flags extends `${string}<${string}...>`
  ? Choice[]
  : Flags extends `${string}[${string}...]`
    ? Choice[] | true
    : Flags extends `${string}<${string}>`
      ? Choice
      : Flags extends `${string}[${string}]`
        ? Choice | true
        : Flags extends `${string}--no-${string}`
          ? boolean
          : true;

/** A negated flag (`--no-cache`) defaults to true, and a flag with a default always has a value. */
type OptionValue<Flags extends string, Choice extends string, Default> = Flags extends `${string}--no-${string}`
  ? boolean
  : Default extends string
    ? FlagValue<Flags, Choice>
    : FlagValue<Flags, Choice> | undefined;

/**
 * Declares a flag. The key it is given in a definition's `options` must be commander's attribute name for it
 * (`--dry-run` → `dryRun`, `--no-cache` → `cache`); src/cli.ts checks that when it registers the command.
 */
export function option<
  const Flags extends string,
  const Choices extends readonly string[] = readonly string[],
  const Default extends string | undefined = undefined,
>(
  flags: Flags,
  description: string,
  settings: { choices?: Choices; default?: Default } = {},
): OptionSpec<OptionValue<Flags, Choices[number], Default>> {
  return { flags, description, ...settings };
}

export function argument<const Name extends string, const Choices extends readonly string[] = readonly string[]>(
  name: Name,
  description: string,
  settings: { choices?: Choices } = {},
): ArgumentSpec<Name extends `<${string}>` ? Choices[number] : Choices[number] | undefined> {
  return { name, description, ...settings };
}

/** The handler's options: one property per declared flag. */
export type OptionValues<Options extends OptionSpecs> = {
  readonly [Key in keyof Options]: Options[Key] extends OptionSpec<infer Value> ? Value : never;
};

/** The positional arguments written in `usage` after the verb: `logs [service]` → `[string | undefined]`. */
export type UsageArguments<Usage extends string> = Usage extends `${string} ${infer Rest}` ? ArgumentTokens<Rest> : [];
type ArgumentTokens<Text extends string> = Text extends `${infer Head} ${infer Rest}`
  ? [TokenValue<Head>, ...ArgumentTokens<Rest>]
  : [TokenValue<Text>];
type TokenValue<Token extends string> = Token extends `${string}...${string}`
  ? string[]
  : Token extends `<${string}>`
    ? string
    : string | undefined;

export type ArgumentValues<Specs extends readonly ArgumentSpec[]> = {
  [Index in keyof Specs]: Specs[Index] extends ArgumentSpec<infer Value> ? Value : never;
};

/** What runs when the command does: typed options and arguments in, results through context.output. */
export type CommandHandler<Options = Record<never, never>, Arguments extends readonly unknown[] = []> = (
  context: CommandContext,
  options: Options,
  args: Arguments,
) => Promise<void>;

/** A handler module: the handler is its default export. */
export type HandlerModule<Handler> = Promise<{ default: Handler }>;

interface DefinitionFields<Usage extends string, Options extends OptionSpecs, Arguments extends readonly ArgumentSpec[]> {
  /** The verb, with commander's syntax for plain positional arguments: `logs [service]`, `test [service]`. */
  usage: Usage;
  /** One line shown in `mlp --help`. */
  summary: string;
  /** Paragraphs shown in `mlp <verb> --help`, under the summary. */
  description?: string;
  /** Shown at the end of `mlp <verb> --help`. */
  examples?: readonly string[];
  /** The command's own flags, in the order `--help` lists them, keyed by the name the handler reads them under. */
  options?: Options;
  /** Positional arguments with help text or choices, after those in `usage`. */
  arguments?: Arguments;
  /**
   * Imports the handler: `() => import('./handlers/<verb>.js')`. Without one, the command is registered with its
   * real flags and help and exits with the notImplemented code, changing nothing, rather than pretending to succeed.
   */
  handler?: () => HandlerModule<CommandHandler<OptionValues<Options>, [...UsageArguments<Usage>, ...ArgumentValues<Arguments>]>>;
}

/** A definition as src/cli.ts sees it: its option and argument types erased. */
export interface CommandDefinition {
  readonly usage: string;
  readonly summary: string;
  readonly description?: string | undefined;
  readonly examples?: readonly string[] | undefined;
  readonly options: OptionSpecs;
  readonly arguments: readonly ArgumentSpec[];
  /** `never`: only the runner calls it, with what commander parsed from these very declarations. */
  readonly handler?: (() => HandlerModule<CommandHandler<never, never>>) | undefined;
}

export function defineCommand<
  const Usage extends string,
  const Options extends OptionSpecs = Record<never, never>,
  const Arguments extends readonly ArgumentSpec[] = [],
>(definition: DefinitionFields<Usage, Options, Arguments>): CommandDefinition {
  return { ...definition, options: definition.options ?? {}, arguments: definition.arguments ?? [] };
}

/** The verb of a definition: `rollback` for `rollback [service]`. */
export function verbOf(definition: Pick<CommandDefinition, 'usage'>): string {
  return definition.usage.split(' ')[0]!;
}
