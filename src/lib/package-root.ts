/**
 * Where mlp's own files are. Source files (src/lib/x.ts, run by tests) and bundled chunks (dist/x-HASH.js) sit at
 * different depths, so paths relative to import.meta.url would differ between the two; walking up to mlp's
 * package.json finds the same root from both.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageManifest {
  name?: string;
  version: string;
}

function findPackage(from: string): { root: string; manifest: PackageManifest } {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as PackageManifest;
      if (manifest.name === 'mlp') return { root: dir, manifest };
    }
    if (path.dirname(dir) === dir) throw new Error(`mlp's package.json was not found above ${from}`);
  }
}

const found = findPackage(path.dirname(fileURLToPath(import.meta.url)));

export const PACKAGE_ROOT = found.root;

export const MLP_VERSION = found.manifest.version;

/** A file shipped with mlp, by its path from the package root (`schema/mlp.schema.json`). */
export function packageFile(relative: string): string {
  return path.join(PACKAGE_ROOT, relative);
}
