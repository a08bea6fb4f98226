import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_FILE, main, renderJsonSchema } from './emit-json-schema.js';

describe('schema/mlp.schema.json', () => {
  it('is exactly what emit-json-schema generates from the zod schema (run "npm run schema" if not)', () => {
    expect(readFileSync(JSON_SCHEMA_FILE, 'utf8')).toBe(renderJsonSchema());
  });

  it('describes mlp.yaml for editors: strict objects, defaults, profiles', () => {
    const schema = JSON.parse(renderJsonSchema()) as {
      $schema: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { items?: { properties: Record<string, unknown> } }>;
    };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.required).toEqual(['apiVersion', 'name', 'services']);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.profiles!.items!.properties)).toEqual([
      'name',
      'activation',
      'aws',
      'registry',
      'cluster',
      'build',
      'deploy',
      'training',
      'services',
    ]);
    expect(JSON.stringify(schema.properties.services)).toContain('"default":8080');
  });
});

describe('emit-json-schema --check', () => {
  const quiet = () => undefined;

  it('exits 0 when the file is up to date and 1 when it differs or is missing, without writing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlp-schema-'));
    const file = path.join(dir, 'mlp.schema.json');
    expect(await main(['--check'], file, quiet)).toBe(1);
    writeFileSync(file, '{}\n');
    expect(await main(['--check'], file, quiet)).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe('{}\n');
    expect(await main([], file, quiet)).toBe(0);
    expect(await main(['--check'], file, quiet)).toBe(0);
  });
});
