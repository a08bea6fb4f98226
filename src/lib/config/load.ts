/**
 * Loads mlp.yaml once: schema defaults → the file (with `${VAR}` interpolated) → the profile → flags, then
 * deep-freezes the result. Every problem is reported at once, as one ConfigError whose issues carry
 * file:line:column and the field path. Commands import this module lazily; importing it does no work.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, UsageError, type ConfigIssue } from '../errors.js';
import { interpolateDocument, type Env } from './interpolate.js';
import { describeIssues, describeValue, type PathIssue } from './issues.js';
import { formatPath, SourceLocator, type FieldPath } from './locate.js';
import { activeProfileIndex, applyProfile, isRecord, sourcesOf, type Provenance, type RawProfile } from './profiles.js';
import { AWS_REGION, configSchema, DNS_LABEL, fileSchema, type DeepReadonly, type MlpConfig } from './schema.js';
import { didYouMean } from './suggest.js';
import { plainValue } from './yaml-nodes.js';

export type { DeepReadonly, MlpConfig } from './schema.js';

export const CONFIG_FILE = 'mlp.yaml';

/** From command-line flags; applied after the file and the profile. */
export interface ConfigOverrides {
  target?: 'local' | 'eks';
  /** cluster.namespace; ignored when mlp.yaml has no cluster section (the local target has no namespace). */
  namespace?: string;
  /** deploy.rollback (--no-rollback sets false). */
  rollback?: boolean;
  region?: string;
  /** training.remote.enabled (mlp train --remote / --local). */
  remoteTraining?: boolean;
}

export interface LoadConfigOptions {
  dir: string;
  /** Relative to `dir`; default mlp.yaml. */
  file?: string;
  profile?: string;
  overrides?: ConfigOverrides;
  /** Default process.env. */
  env?: Record<string, string | undefined>;
}

export interface ProjectConfig {
  readonly config: DeepReadonly<MlpConfig>;
  /** Absolute path of mlp.yaml. */
  readonly file: string;
  /** Absolute project directory; relative paths in the configuration are relative to it. */
  readonly dir: string;
  /** The profile applied, or null. */
  readonly profile: string | null;
}

export async function loadProjectConfig(options: LoadConfigOptions): Promise<ProjectConfig> {
  const env: Env = options.env ?? process.env;
  checkOverrides(options.overrides ?? {});
  const dir = path.resolve(options.dir);
  const file = path.resolve(dir, options.file ?? CONFIG_FILE);
  const source = parseConfigFile(file, await readConfigFile(file, dir, options.file === undefined), env);
  const { profiles, active } = checkFile(source, options.profile, env);
  return resolveConfig(source, profiles, active, options.overrides ?? {}, dir);
}

/** The parsed file, before the schema: its plain value and how to place an issue at file:line:column. */
interface ParsedFile {
  file: string;
  raw: Record<string, unknown>;
  interpolation: PathIssue[];
  locator: SourceLocator;
  at(issue: PathIssue, where?: FieldPath): ConfigIssue;
}

/** YAML to a plain mapping with `${VAR}` interpolated; YAML errors, an empty file and a non-mapping are config errors. */
function parseConfigFile(file: string, text: string, env: Env): ParsedFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const locator = new SourceLocator(doc, lineCounter);
  const at = (issue: PathIssue, where: FieldPath = issue.path): ConfigIssue => {
    const { line, column } = locator.locate(where, issue.key ? { key: true } : {});
    return {
      file,
      line,
      column,
      path: formatPath(issue.key ? where.slice(0, -1) : where),
      message: issue.message,
      ...(issue.hint ? { hint: issue.hint } : {}),
    };
  };
  const atOffset = (offset: number, issue: { path: FieldPath; message: string; hint?: string | undefined }): ConfigIssue => ({
    file,
    ...locator.position(offset),
    path: formatPath(issue.path),
    message: issue.message,
    ...(issue.hint ? { hint: issue.hint } : {}),
  });

  if (doc.errors.length > 0) {
    throw configError(
      file,
      doc.errors.map((error) => atOffset(error.pos[0], { path: [], message: `YAML syntax error: ${error.message.split('\n')[0]}` })),
    );
  }
  if (doc.contents === null) {
    throw configError(file, [{ file, line: 1, column: 1, path: '', message: 'is empty' }], {
      hint: 'Run "mlp init" to write a starting mlp.yaml.',
    });
  }
  const interpolation = interpolateDocument(doc, env);
  const plain = plainValue(doc);
  if (!plain.ok)
    throw configError(
      file,
      plain.problems.map((problem) => atOffset(problem.offset, problem)),
    );
  const raw = plain.value;
  if (!isRecord(raw)) {
    throw configError(file, [
      at({ path: [], message: `expected a mapping (apiVersion: mlp/v1, name, services, …), got ${describeValue(raw)}` }),
    ]);
  }
  return { file, raw, interpolation, locator, at };
}

/**
 * Every problem of the file as written (the schema of the file, an unknown --profile, unset variables outside
 * profiles that are not applied), all at once; and which profile applies.
 */
function checkFile(source: ParsedFile, profileName: string | undefined, env: Env): { profiles: RawProfile[]; active: number } {
  const { file, raw, interpolation, at } = source;
  const parsed = fileSchema.safeParse(raw, { reportInput: true });
  // A value with an unset ${VAR} is reported once, as that; and not at all in a profile that is not applied.
  const unresolved = new Set(interpolation.map((problem) => JSON.stringify(problem.path)));
  const issues: ConfigIssue[] = parsed.success
    ? []
    : describeIssues(parsed.error.issues, fileSchema, raw)
        .filter((issue) => !unresolved.has(JSON.stringify(issue.path)))
        .map((issue) => at(issue));

  const profiles = (Array.isArray(raw.profiles) ? raw.profiles : []) as RawProfile[];
  const names = profiles
    .map((profile) => (isRecord(profile) ? profile.name : undefined))
    .filter((name): name is string => typeof name === 'string');
  const active =
    profileName === undefined
      ? activeProfileIndex(profiles, env)
      : profiles.findIndex((profile) => isRecord(profile) && profile.name === profileName);
  if (profileName !== undefined && active === -1) {
    issues.push({
      ...at({ path: ['profiles'], key: true, message: '' }, names.length > 0 ? ['profiles'] : []),
      path: '',
      message: `unknown profile "${profileName}"${didYouMean(profileName, names)}`,
      hint:
        names.length > 0
          ? `the profiles in ${path.basename(file)} are ${names.join(', ')}`
          : `${path.basename(file)} has no profiles section`,
    });
  }
  // Variables used only by profiles that are not applied need not be set.
  for (const problem of interpolation) {
    if (problem.path[0] === 'profiles' && problem.path[1] !== active) continue;
    issues.push(at(problem));
  }
  if (issues.length > 0) throw configError(file, issues);
  return { profiles, active };
}

/** Defaults, the file, the profile, then the flags: validated once more as a whole and frozen. */
function resolveConfig(source: ParsedFile, profiles: RawProfile[], active: number, overrides: ConfigOverrides, dir: string): ProjectConfig {
  const { file, raw, locator, at } = source;
  const { profiles: _profiles, ...base } = raw;
  let merged: Record<string, unknown> = base;
  let provenance: Provenance = new Map();
  const profile = active === -1 ? undefined : (profiles[active] as RawProfile);
  if (profile !== undefined) {
    const { name: _name, activation: _activation, ...overlay } = profile;
    ({ merged, provenance } = applyProfile(base, overlay, ['profiles', active]));
  }
  merged = applyOverrides(merged, overrides);

  const resolved = configSchema.safeParse(merged, { reportInput: true });
  if (!resolved.success) {
    const withProfile = profile === undefined ? undefined : `with profile "${String(profile.name)}" applied`;
    const located = describeIssues(resolved.error.issues, configSchema, merged).map((issue) => {
      const where = bestSource(sourcesOf(issue.path, provenance), locator, issue.key === true);
      const hint = [issue.hint, withProfile].filter(Boolean).join('; ');
      return at({ ...issue, ...(hint ? { hint } : {}) }, where);
    });
    throw configError(file, located);
  }

  return deepFreeze({ config: resolved.data, file, dir, profile: profile === undefined ? null : String(profile.name) }) as ProjectConfig;
}

/** Of the places a merged value may come from, the one written most completely in the file. */
function bestSource(candidates: FieldPath[], locator: SourceLocator, key: boolean): FieldPath {
  let best = candidates[0] ?? [];
  let missing = Infinity;
  for (const candidate of candidates) {
    const gap = candidate.length - locator.locate(candidate, { key }).depth;
    if (gap < missing) [best, missing] = [candidate, gap];
  }
  return best;
}

function applyOverrides(config: Record<string, unknown>, overrides: ConfigOverrides): Record<string, unknown> {
  const result = { ...config };
  const section = (name: string): Record<string, unknown> => (isRecord(result[name]) ? { ...result[name] } : {});
  if (overrides.target !== undefined) result.deploy = { ...section('deploy'), target: overrides.target };
  if (overrides.rollback !== undefined) result.deploy = { ...section('deploy'), rollback: overrides.rollback };
  if (overrides.region !== undefined) result.aws = { ...section('aws'), region: overrides.region };
  if (overrides.namespace !== undefined && isRecord(result.cluster))
    result.cluster = { ...section('cluster'), namespace: overrides.namespace };
  if (overrides.remoteTraining !== undefined && isRecord(result.training)) {
    const training = section('training');
    training.remote = { ...(isRecord(training.remote) ? training.remote : {}), enabled: overrides.remoteTraining };
    result.training = training;
  }
  return result;
}

function checkOverrides(overrides: ConfigOverrides): void {
  if (overrides.target !== undefined && overrides.target !== 'local' && overrides.target !== 'eks') {
    throw new UsageError(`--target "${String(overrides.target)}" is not a target.`, { hint: 'Use --target local or --target eks.' });
  }
  if (overrides.namespace !== undefined && !DNS_LABEL.test(overrides.namespace)) {
    throw new UsageError(`--namespace "${overrides.namespace}" is not a valid Kubernetes namespace.`, {
      hint: 'Use lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters.',
    });
  }
  if (overrides.region !== undefined && !AWS_REGION.test(overrides.region)) {
    throw new UsageError(`--region "${overrides.region}" is not an AWS region.`, {
      hint: 'Use a region code such as us-east-1 or eu-west-2.',
    });
  }
}

async function readConfigFile(file: string, dir: string, isDefault: boolean): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw await readError(file, dir, isDefault, error);
  }
}

/** The ConfigError for a file that cannot be read. Exported for tests (root reads every file). */
export async function readError(file: string, dir: string, isDefault: boolean, error: unknown): Promise<ConfigError> {
  const code = (error as NodeJS.ErrnoException).code;
  const fail = (message: string, hint: string): ConfigError =>
    new ConfigError(message, [{ file, line: 1, column: 1, path: '', message }], { hint, cause: error });
  if (code === 'ENOENT') {
    const dirExists = await stat(dir).then(
      (info) => info.isDirectory(),
      () => false,
    );
    if (!dirExists) return fail(`the project directory ${dir} does not exist`, 'Pass -C <dir> with the directory that holds mlp.yaml.');
    if (isDefault) return fail(`${CONFIG_FILE} not found in ${dir}`, 'Run "mlp init" to create one, or pass -C <dir>.');
    return fail(`${file} not found`, 'Check the file name, or run "mlp init" to create mlp.yaml.');
  }
  if (code === 'EACCES' || code === 'EPERM')
    return fail(`cannot read ${file}: permission denied`, `Make it readable by you: chmod u+r ${file}`);
  if (code === 'EISDIR') return fail(`${file} is a directory, not a file`, 'Pass -C <dir> with the directory that holds mlp.yaml.');
  const reason = error instanceof Error ? error.message : String(error);
  return fail(`cannot read ${file}: ${reason}`, 'Check that the file is readable.');
}

function configError(file: string, issues: ConfigIssue[], options: { hint?: string } = {}): ConfigError {
  const sorted = [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
  const message = `${path.basename(file)} has ${sorted.length} problem${sorted.length === 1 ? '' : 's'}`;
  return new ConfigError(message, sorted, options.hint === undefined ? {} : { hint: options.hint });
}

/** Object.freeze, all the way down. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
