/**
 * Where mlp's own files are. Source files (src/lib/x.ts, run by tests) and bundled chunks (dist/x-HASH.js) sit at
 * different depths, so paths relative to import.meta.url would differ between the two; walking up to mlp's
 * package.json finds the same root from both.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mlp') return dir;
    if (path.dirname(dir) === dir) throw new Error(`mlp's package.json was not found above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

export const MLP_VERSION = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** A file shipped with mlp, by its path from the package root (`schema/mlp.schema.json`). */
export function packageFile(relative: string): string {
  return path.join(PACKAGE_ROOT, relative);
}
