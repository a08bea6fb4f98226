/**
 * Writes schema/mlp.schema.json from the zod schema, so editors complete and check mlp.yaml as mlp does.
 *   npm run schema              regenerate the file
 *   npm run schema -- --check   exit 1 when the committed file differs from what the schema generates
 */
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import * as z from 'zod';
import { packageFile } from '../package-root.js';
import { fileSchema } from './schema.js';

export const JSON_SCHEMA_FILE = packageFile('schema/mlp.schema.json');

/** The JSON Schema text: draft-07 (what yaml-language-server supports best), describing what users write. */
export function renderJsonSchema(): string {
  const generated = z.toJSONSchema(fileSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  const document = {
    $schema,
    title: 'mlp.yaml',
    description:
      'mlp project configuration (apiVersion: mlp/v1). Generated from src/lib/config/schema.ts by `npm run schema`; do not edit. ' +
      'String values may use ${VAR} and ${VAR:-default}; ${MLP_*} is filled by mlp at run time.',
    ...rest,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Returns the exit code: 0, or 1 when `--check` finds the file out of date. */
export async function main(argv: readonly string[], file = JSON_SCHEMA_FILE, log: (line: string) => void = console.error): Promise<number> {
  const expected = renderJsonSchema();
  if (argv.includes('--check')) {
    const actual = await readFile(file, 'utf8').catch(() => undefined);
    if (actual === expected) return 0;
    log(`${file} is ${actual === undefined ? 'missing' : 'out of date'}; run "npm run schema" and commit the result.`);
    return 1;
  }
  await writeFile(file, expected);
  log(`wrote ${file}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
