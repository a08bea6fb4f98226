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

/**
 * commander requires node:child_process at load time, only to spawn executable subcommands, which mlp does not
 * use. Loading it pulls in net, dgram and the stream stack: about a sixth of `mlp --help`. This hands commander
 * a stand-in that loads the real module on first use instead.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}commander${path.sep}`) ? { path: 'lazy-child-process', namespace: 'mlp-lazy' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'mlp-lazy' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_target, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

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
  plugins: [lazyChildProcessForCommander],
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  // commander is CommonJS; its require() calls of node built-ins need a real require in an ES module.
  banner: { js: "import { createRequire as mlpCreateRequire } from 'node:module'; const require = mlpCreateRequire(import.meta.url);" },
});

// The inference server (serving/), run by `mlp serve` and by every service image as `node server.js`. Everything
// but onnxruntime-node (a native binding, installed per platform in the image) is bundled into this one file, so
// the image installs a single npm package and a code change is one small layer.
await build({
  absWorkingDir: root,
  entryPoints: ['serving/src/server.ts'],
  outfile: 'dist/serving/server.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['onnxruntime-node'],
  sourcemap: true,
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // pino and prom-client are CommonJS and require() node built-ins.
  banner: { js: "import { createRequire as mlpCreateRequire } from 'node:module'; const require = mlpCreateRequire(import.meta.url);" },
});
