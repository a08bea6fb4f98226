/**
 * What every command handler receives: the project directory, global flags, output and a one-time config
 * loader. Commands never read mlp.yaml or process.env themselves.
 */
import path from 'node:path';
import type { ConfigOverrides, ProjectConfig } from './config/load.js';
import { Output, type CliIo } from './output.js';

/** Flags that every command accepts (`mlp --help` lists them). */
export interface GlobalOptions {
  dir: string;
  profile?: string;
  json: boolean;
  verbose: boolean;
  color: boolean;
  yes: boolean;
}

export interface CommandContext {
  /** Absolute project directory (-C/--dir, default the working directory). */
  readonly dir: string;
  readonly profile: string | undefined;
  readonly yes: boolean;
  readonly output: Output;
  readonly io: CliIo;
  /** Aborted on Ctrl-C; pass it to execa (cancelSignal) and AWS SDK calls (abortSignal). */
  readonly signal: AbortSignal;
  /**
   * Loads mlp.yaml once — defaults, then the file, the profile, then `overrides` from flags — and freezes it.
   * A second call returns the same object.
   */
  loadConfig(overrides?: ConfigOverrides): Promise<ProjectConfig>;
}

export async function createContext(io: CliIo, globals: GlobalOptions, signal: AbortSignal): Promise<CommandContext> {
  const output = await Output.create(io, { json: globals.json, verbose: globals.verbose, color: globals.color });
  const dir = path.resolve(io.cwd, globals.dir);
  let loaded: Promise<ProjectConfig> | undefined;

  return {
    dir,
    profile: globals.profile,
    yes: globals.yes,
    output,
    io,
    signal,
    loadConfig(overrides) {
      loaded ??= import('./config/load.js').then(({ loadProjectConfig }) =>
        loadProjectConfig({
          dir,
          ...(globals.profile === undefined ? {} : { profile: globals.profile }),
          ...(overrides === undefined ? {} : { overrides }),
          env: io.env,
        }),
      );
      return loaded;
    },
  };
}
