/**
 * Property: no mlp.yaml crashes the loader. For each valid example configuration, every path of the document
 * (the root, each mapping key and each list item, profiles included) gets arbitrary YAML values written at it;
 * loading then either succeeds or fails with a config error (never "internal") whose issues each carry
 * file:line:column and a field path, one of them the written path or a field next to it. Seeded, so a failure
 * reproduces; MLP_PROPERTY_RUNS and MLP_PROPERTY_SEED run it longer or differently.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parseDocument, type Document } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, MlpError } from '../errors.js';
import { loadProjectConfig } from './load.js';
import { formatPath, type FieldPath } from './locate.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const RUNS_PER_PATH = Number(process.env.MLP_PROPERTY_RUNS ?? 3);
const SEED = Number(process.env.MLP_PROPERTY_SEED ?? 20261202);
/** What the examples' `${VAR}`s need; none of them is a value the generators below write. */
const ENV = { DATA_BUCKET: 'data-bucket', PROD_CLUSTER: 'prod-cluster', AWS_ACCOUNT_ID: '123456789012' };

interface Example {
  name: string;
  dir: string;
  doc: Document;
  /** Undefined (no --profile) and each profile's name. */
  profiles: Array<string | undefined>;
  paths: FieldPath[];
  /** The paths (formatted) whose value is a mapping. */
  maps: Set<string>;
}

function candidateDirs(): string[] {
  const under = (dir: string) =>
    readdirSync(dir)
      .map((name) => path.join(dir, name))
      .filter((child) => statSync(child).isDirectory());
  return [...under(path.join(ROOT, 'examples')), ...under(path.join(import.meta.dirname, 'fixtures'))].filter((dir) => {
    try {
      return statSync(path.join(dir, 'mlp.yaml')).isFile();
    } catch {
      return false;
    }
  });
}

/** Every path in the document, parents before children. */
function pathsOf(value: unknown, at: FieldPath = []): FieldPath[] {
  const children = Array.isArray(value)
    ? value.flatMap((item, index) => pathsOf(item, [...at, index]))
    : value !== null && typeof value === 'object'
      ? Object.entries(value).flatMap(([key, child]) => pathsOf(child, [...at, key]))
      : [];
  return [at, ...children];
}

const isMapping = (value: unknown): boolean => value !== null && typeof value === 'object' && !Array.isArray(value);
const valueAt = (root: unknown, at: FieldPath): unknown =>
  at.reduce<unknown>((value, segment) => (value as Record<PropertyKey, unknown>)[segment], root);

/** The candidates that load (with and without each of their profiles), each copied to its own directory. */
async function validExamples(): Promise<Example[]> {
  const examples: Example[] = [];
  for (const source of candidateDirs()) {
    const text = readFileSync(path.join(source, 'mlp.yaml'), 'utf8');
    const doc = parseDocument(text);
    if (doc.errors.length > 0) continue;
    const raw = doc.toJS() as { profiles?: Array<{ name?: string }> };
    const profiles = [undefined, ...(raw.profiles ?? []).map((profile) => profile.name)];
    const loads = await Promise.all(
      profiles.map((profile) =>
        loadProjectConfig({ dir: source, profile, env: ENV }).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!loads.every(Boolean)) continue;
    // The loader reads only mlp.yaml; the other files are copied so relative references still resolve.
    const dir = mkdtempSync(path.join(tmpdir(), `mlp-property-${path.basename(source)}-`));
    for (const name of readdirSync(source)) {
      if (statSync(path.join(source, name)).isFile()) copyFileSync(path.join(source, name), path.join(dir, name));
    }
    const paths = pathsOf(raw);
    const maps = new Set(paths.filter((at) => isMapping(valueAt(raw, at))).map((at) => formatPath(at)));
    examples.push({ name: path.relative(ROOT, source), dir, doc, profiles, paths, maps });
  }
  return examples;
}

/** Keys: arbitrary text, and the names that mean something to mlp or to JavaScript. */
const key = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'name',
      'services',
      'profiles',
      'model',
      'source',
      'path',
      'replicas',
      'env',
      'activation',
      '__proto__',
      '<<',
      '',
    ),
  },
);
/** Scalars: every JSON kind, YAML's own (.nan, .inf), and strings mlp reads specially. */
const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom(
    '${UNSET}',
    '${UNSET:-3}',
    '${DATA_BUCKET}',
    '$${literal}',
    '${',
    '${1bad}',
    '${MLP_OUTPUT_DIR}',
    '',
    ' ',
    '~',
    'null',
    '0x10',
    '1e3',
    'yes',
  ),
  fc.constantFrom(
    'mlp/v1',
    'training',
    'dir',
    'sagemaker',
    'eks',
    'local',
    'ecr',
    'generic',
    'POST',
    'GET',
    'fraud',
    'api',
    'ranker',
    '250m',
    '1Gi',
    '/x',
  ),
);
const { yamlValue } = fc.letrec((tie) => ({
  yamlValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('yamlValue'), { maxLength: 4 }),
    fc.dictionary(key, tie('yamlValue'), { maxKeys: 4 }),
  ),
}));
const anyValue = fc.oneof(yamlValue, fc.jsonValue({ maxDepth: 3 }));

/** The example's text with `value` written at `at` (the root replaces the whole document). */
function withValueAt(original: Document, at: FieldPath, value: unknown): string {
  const doc = original.clone();
  if (at.length === 0) doc.contents = doc.createNode(value);
  else doc.setIn(at, doc.createNode(value));
  return String(doc);
}

const within = (issuePath: string, base: string): boolean =>
  base === '' || issuePath === base || issuePath.startsWith(`${base}.`) || issuePath.startsWith(`${base}[`);

/**
 * An issue about the written value: at the path or an ancestor of it (a mapping that now lacks a key), inside
 * it or beside it (cross-field rules such as max >= min), or — for a name — at a sibling item's name
 * (duplicates are reported at the second).
 */
function isAbout(issuePath: string, at: FieldPath): boolean {
  const ancestors = at.map((_, length) => formatPath(at.slice(0, length)));
  if (ancestors.includes(issuePath) || within(issuePath, formatPath(at.slice(0, -1)))) return true;
  return at[at.length - 1] === 'name' && within(issuePath, formatPath(at.slice(0, -2)));
}

/** What is wrong with how loading failed: nothing when it is a config error whose issues say where. */
function faultsOf(outcome: unknown, file: string, lines: number, at: FieldPath, profile: string | undefined): string[] {
  if (!(outcome instanceof MlpError) || outcome.kind !== 'config' || !(outcome instanceof ConfigError)) {
    return [`not a config error: ${outcome instanceof Error ? outcome.stack : String(outcome)}`];
  }
  if (outcome.issues.length === 0) return ['a config error without issues'];
  const faults = outcome.issues.flatMap((issue, index) => {
    const line = `${file}:${issue.line}:${issue.column}: ${issue.path === '' ? '' : `${issue.path} `}${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;
    const placed = issue.file === file && issue.line >= 1 && issue.line <= lines && issue.column >= 1 && issue.message !== '';
    return placed && outcome.details[index] === line ? [] : [`issue ${index} is not placed or not printed as ${line}`];
  });
  // With a profile applied, a valid value in the base can break a service the profile adds, which is reported
  // in the profile; without one, some issue must be about the value written.
  if (profile === undefined && !outcome.issues.some((issue) => isAbout(issue.path, at)))
    faults.push(`no issue is about ${formatPath(at) || '(root)'}`);
  return faults.length === 0 ? [] : [...faults, ...outcome.details];
}

async function check(example: Example, at: FieldPath, value: unknown, profile: string | undefined): Promise<void> {
  const text = withValueAt(example.doc, at, value);
  const file = path.join(example.dir, 'mlp.yaml');
  writeFileSync(file, text);
  const outcome = await loadProjectConfig({ dir: example.dir, profile, env: ENV }).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome === undefined) return;
  const faults = faultsOf(outcome, file, text.split('\n').length, at, profile);
  const written = `${example.name}: ${formatPath(at) || '(root)'} = ${JSON.stringify(value)}${profile ? ` with --profile ${profile}` : ''}`;
  expect(faults, `${written}\n${text}`).toEqual([]);
}

describe('loadProjectConfig on arbitrary values at every path of the examples', async () => {
  const examples = await validExamples();

  it('finds the examples and their paths', () => {
    const names = examples.map((example) => example.name);
    expect(names).toEqual(
      expect.arrayContaining(['examples/fraud', 'src/lib/config/fixtures/minimal', 'src/lib/config/fixtures/profiles']),
    );
    for (const example of examples) expect(example.paths.length).toBeGreaterThan(3);
  });

  for (const example of examples) {
    const title = `${example.name}: ${example.paths.length} paths × ${RUNS_PER_PATH} values load, or fail as config errors naming the path and line`;
    it(title, async () => {
      for (const [index, at] of example.paths.entries()) {
        // At a mapping, half the runs add a key (arbitrary, or one mlp knows) instead of replacing the mapping.
        const where = example.maps.has(formatPath(at))
          ? fc.oneof(
              fc.constant(at),
              key.map((name) => [...at, name]),
            )
          : fc.constant(at);
        await fc.assert(
          fc.asyncProperty(where, anyValue, fc.constantFrom(...example.profiles), (written, value, profile) =>
            check(example, written, value, profile),
          ),
          { numRuns: RUNS_PER_PATH, seed: SEED + index, endOnFailure: false },
        );
      }
    });
  }
});
