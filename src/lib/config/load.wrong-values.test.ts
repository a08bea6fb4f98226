/**
 * Values that used to crash the loader ("This is a bug in mlp" with a stack trace), each now a config error
 * at the field's line. load.property.test.ts covers the rest of the space; these pin the messages.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { loadProjectConfig } from './load.js';
import { configSchema, fileSchema } from './schema.js';

function project(lines: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlp-config-'));
  writeFileSync(path.join(dir, 'mlp.yaml'), `${lines.join('\n')}\n`);
  return dir;
}

const where = (issue: ConfigIssue) =>
  `${path.basename(issue.file)}:${issue.line}:${issue.column} ${issue.path} ${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;

/** The issues of the ConfigError loading must throw, as `mlp.yaml:line:column path message (hint)`. */
async function issuesOf(lines: string[], profile?: string): Promise<string[]> {
  const error = await loadProjectConfig({ dir: project(lines), env: {}, ...(profile === undefined ? {} : { profile }) }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).kind).toBe('config');
  return (error as ConfigError).issues.map(where);
}

const HEAD = ['apiVersion: mlp/v1', 'name: fraud'];
const SERVICES = ['services:', '  - name: fraud', '    model: { source: training }'];

describe('a wrong-typed services list', () => {
  it.each([
    ['3', 'number 3'],
    ['"x"', 'string "x"'],
    ['{}', 'a mapping'],
    ['true', 'boolean true'],
    ['null', 'null (an empty value)'],
  ])('services: %s is a config error at its line', async (value, got) => {
    expect(await issuesOf([...HEAD, `services: ${value}`])).toEqual([`mlp.yaml:3:11 services expected a list, got ${got}`]);
  });

  it('a missing services list is reported as required', async () => {
    expect(await issuesOf(HEAD)).toEqual(['mlp.yaml:1:1 services is required (a list)']);
  });

  it('services[0]: null, services[0]: 3 and services[0].model: 3 name the item or field', async () => {
    expect(await issuesOf([...HEAD, 'services:', '  - null', '  - 3', '  - name: api', '    model: 3'])).toEqual([
      'mlp.yaml:4:5 services[0] expected a mapping, got null (an empty value)',
      'mlp.yaml:5:5 services[1] expected a mapping, got number 3',
      'mlp.yaml:7:12 services[2].model expected a mapping, got number 3',
    ]);
  });

  it('duplicate names are still found beside items of the wrong type', async () => {
    const api = ['  - name: api', '    model: { source: training }'];
    expect(await issuesOf([...HEAD, 'services:', ...api, '  - 3', ...api])).toEqual([
      'mlp.yaml:6:5 services[1] expected a mapping, got number 3',
      'mlp.yaml:7:11 services[2].name duplicates services[0].name "api"; names must be unique',
    ]);
  });
});

describe('a wrong-typed profiles section', () => {
  it.each([
    ['null', 'null (an empty value)'],
    ['3', 'number 3'],
    ['{}', 'a mapping'],
  ])('profiles: %s is a config error at its line', async (value, got) => {
    expect(await issuesOf([...HEAD, ...SERVICES, `profiles: ${value}`])).toEqual([`mlp.yaml:6:11 profiles expected a list, got ${got}`]);
  });

  it('profiles[0]: null and a profile whose services are null, with and without --profile', async () => {
    expect(await issuesOf([...HEAD, ...SERVICES, 'profiles:', '  - null'])).toEqual([
      'mlp.yaml:7:5 profiles[0] expected a mapping, got null (an empty value)',
    ]);
    const nullServices = [...HEAD, ...SERVICES, 'profiles:', '  - name: x', '    services: null'];
    expect(await issuesOf(nullServices)).toEqual(['mlp.yaml:8:15 profiles[0].services expected a list, got null (an empty value)']);
    expect(await issuesOf(nullServices, 'x')).toEqual(['mlp.yaml:8:15 profiles[0].services expected a list, got null (an empty value)']);
  });

  it('profiles.x: null (a profile section that is empty) names the section', async () => {
    expect(await issuesOf([...HEAD, ...SERVICES, 'profiles:', '  - name: x', '    deploy:', '    services: [null]'], 'x')).toEqual([
      'mlp.yaml:8:12 profiles[0].deploy expected a mapping, got null (an empty value)',
      'mlp.yaml:9:16 profiles[0].services[0] expected a mapping, got null (an empty value)',
    ]);
  });
});

describe('YAML the parser accepts but cannot turn into values', () => {
  it('an alias of no anchor', async () => {
    expect(await issuesOf([...HEAD, ...SERVICES, 'deploy: *defaults'])).toEqual([
      'mlp.yaml:6:9 deploy is an alias *defaults of no anchor (define &defaults before the alias, or write the value out)',
    ]);
  });

  it('an alias inside the node it refers to', async () => {
    expect(await issuesOf([...HEAD, ...SERVICES, 'deploy: &d { target: *d }'])).toEqual([
      'mlp.yaml:6:22 deploy.target is an alias *d of a node that contains it (a cycle)',
    ]);
  });

  it('a merge key whose value is not a mapping', async () => {
    expect(await issuesOf([...HEAD, ...SERVICES, 'deploy:', '  <<: 3'])).toEqual([
      'mlp.yaml:7:7 deploy["<<"] merges only mappings: give a mapping, an alias of one (<<: *defaults), or a list of them',
    ]);
  });

  it('aliases that expand past the limit', async () => {
    const ten = (item: string) => `[${Array.from({ length: 10 }, () => item).join(', ')}]`;
    const nested = [`a: &a ${ten('x')}`, `b: &b ${ten('*a')}`, `c: &c ${ten('*b')}`, `d: ${ten('*c')}`];
    const [issue] = await issuesOf([...HEAD, ...SERVICES, ...nested]);
    expect(issue).toBe(
      'mlp.yaml:7:8 b[0] expands aliases to more than 1000 values (write the values out instead of nesting aliases of aliases)',
    );
  });

  it('binary data and timestamps', async () => {
    expect(await issuesOf([...HEAD, ...SERVICES, 'deploy: !!binary aGVsbG8='])).toEqual([
      'mlp.yaml:6:18 deploy is binary data (!!binary) (mlp.yaml takes text, numbers, true/false, lists and mappings)',
    ]);
    expect(await issuesOf(['%YAML 1.1', '---', ...HEAD, ...SERVICES, 'deploy: { target: 2026-01-01 }'])).toEqual([
      'mlp.yaml:8:19 deploy.target is a timestamp (2026-01-01) (quote it to keep it text)',
    ]);
  });
});

describe('the schema on values of any type', () => {
  const minimal = { apiVersion: 'mlp/v1', name: 'fraud', services: [{ name: 'fraud', model: { source: 'training' } }] };
  it.each([3, 'x', {}, true, null, undefined, [null, 3, 'x', [], {}]])('services: %j gives issues, not an exception', (services) => {
    expect(configSchema.safeParse({ ...minimal, services }).success).toBe(false);
    expect(fileSchema.safeParse({ ...minimal, services }).success).toBe(false);
    expect(fileSchema.safeParse({ ...minimal, profiles: [{ name: 'p', services }] }).success).toBe(services === undefined);
  });

  it.each([3, 'x', {}, true, null, [null, 3, 'x', []]])('profiles: %j gives issues, not an exception', (profiles) => {
    expect(fileSchema.safeParse({ ...minimal, profiles }).success).toBe(false);
  });
});
