#!/usr/bin/env node
// Compiles src/ to dist/ with esbuild. The start-up path (cli.ts, the command definitions, commander and chalk)
// becomes one file, because resolving and compiling dozens of small ES modules is most of `mlp --help`'s cost on
// Node 20; everything a command imports lazily becomes its own chunk, and the heavy dependencies (AWS SDK,
// client-node, listr2, zod, yaml, execa) stay in node_modules, loaded only by the commands that use them.
// Type checking is tsc's job (npm run typecheck); esbuild only strips types.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const BUNDLED = new Set(['commander', 'chalk']);
const external = Object.keys(manifest.dependencies ?? {})
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  logLevel: 'warning',
  // commander is CommonJS; its require() calls of node built-ins need a real require in an ES module.
  banner: { js: "import { createRequire as mlpCreateRequire } from 'node:module'; const require = mlpCreateRequire(import.meta.url);" },
});
