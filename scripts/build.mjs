#!/usr/bin/env node
// Compiles src/ to dist/ with esbuild, in two halves (type checking is tsc's job; esbuild only strips types):
//
//   dist/cli.cjs   what `mlp --help` and `mlp --version` load: src/cli.ts, the command definitions
//                  (src/commands/*.ts, src/lib/command.ts) and commander, as one CommonJS file. One file, because
//                  resolving and compiling many small modules is most of the start-up cost; CommonJS, because on
//                  Node 20 the ES module loader alone costs a quarter of `node -e 0`.
//   dist/lib/run-command.js, dist/commands/handlers/<verb>.js, dist/chunks/*.js
//                  everything the start-up file imports with import(): ES modules, split into shared chunks, so one
//                  copy of each module (the error classes above all) serves every command, and a command loads only
//                  the chunks its handler reaches. Dependencies are bundled into those chunks, except the AWS SDK,
//                  client-node and onnxruntime-node (see UNBUNDLED).
//
// bin/mlp requires dist/cli.cjs (bin/package.json makes bin/ CommonJS).
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const src = path.join(root, 'src');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
/**
 * Left in node_modules: the SDKs, large and loaded only by the commands that reach AWS or a cluster, and the
 * native binding. Everything else is bundled: loading execa, zod and yaml as the hundreds of small ES modules
 * they ship as took most of a no-op `mlp build`.
 */
const UNBUNDLED = [/^@aws-sdk\//, /^@smithy\//, /^@kubernetes\/client-node$/, /^onnxruntime-node$/];
const external = Object.keys(manifest.dependencies ?? {})
  .filter((name) => UNBUNDLED.some((pattern) => pattern.test(name)))
  .flatMap((name) => [name, `${name}/*`]);

/** The modules of src/ the start-up file is made of; anything else it reaches must be reached with import(). */
const START_UP = [/^cli\.ts$/, /^commands\/[^/]+\.ts$/, /^lib\/command\.ts$/];

/**
 * Keeps the start-up file to the start-up modules: each import() of another module of src/ stays an import() of
 * that module's ES build (collected in `lazyEntries`), and a static import of one fails the build, since it would
 * put a second copy of that module (of MlpError, say) into dist/cli.cjs.
 */
function startUpOnly(lazyEntries) {
  return {
    name: 'start-up-only',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.pluginData === 'resolving') return undefined;
        const resolved = await pluginBuild.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'resolving',
        });
        if (resolved.errors.length > 0 || !resolved.path.startsWith(`${src}${path.sep}`)) return resolved;
        const relative = path.relative(src, resolved.path).split(path.sep).join('/');
        if (args.kind === 'dynamic-import') {
          lazyEntries.add(resolved.path);
          return { path: `./${relative.replace(/\.ts$/, '.js')}`, external: true };
        }
        if (START_UP.some((pattern) => pattern.test(relative))) return resolved;
        return {
          errors: [{ text: `the start-up file may not import src/${relative} statically; import it with import() where it is used` }],
        };
      });
    },
  };
}

/**
 * commander requires node:child_process at load time, only to spawn executable subcommands, which mlp does not
 * use. Loading it pulls in net, dgram and the stream stack: about a sixth of `mlp --help`. This hands commander
 * a stand-in that loads the real module on first use instead.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}commander${path.sep}`)
        ? { path: 'lazy-child-process', namespace: 'mlp-lazy' }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'mlp-lazy' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_target, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

/**
 * The serving app's page (serving/src/ui/): assets.ts reads its files from disk, which works from source but not in
 * an image that has only server.js. This swaps that module for one holding the same files (serving/src/ui/files.json)
 * as string literals.
 */
const uiDir = path.join(root, 'serving', 'src', 'ui');
const inlineUiAssets = {
  name: 'inline-ui-assets',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]serving[\\/]src[\\/]ui[\\/]assets\.ts$/ }, () => {
      const files = JSON.parse(readFileSync(path.join(uiDir, 'files.json'), 'utf8'));
      const resolvePackageFile = createRequire(path.join(root, 'package.json')).resolve;
      const watchFiles = [path.join(uiDir, 'files.json')];
      const assets = Object.fromEntries(
        Object.entries(files).map(([key, file]) => {
          const absolute = file.startsWith('./') ? path.join(uiDir, file) : resolvePackageFile(file);
          watchFiles.push(absolute);
          return [key, readFileSync(absolute, 'utf8')];
        }),
      );
      return { contents: `export const UI_ASSETS = ${JSON.stringify(assets)};`, loader: 'js', watchFiles };
    });
  },
};

/**
 * The Open Inference Protocol's gRPC service (serving/src/v2/grpc-descriptor.ts): from source that module compiles
 * serving/proto/grpc_predict_v2.proto when imported; an image has no serving/proto, so this swaps the module for one
 * holding the serialized FileDescriptorSet it would compute.
 */
const protoFile = path.join(root, 'serving', 'proto', 'grpc_predict_v2.proto');
const inlineGrpcDescriptor = {
  name: 'inline-grpc-descriptor',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]serving[\\/]src[\\/]v2[\\/]grpc-descriptor\.ts$/ }, async () => {
      const { loadSync } = await import('@grpc/proto-loader');
      const files = new Map();
      for (const definition of Object.values(loadSync(protoFile))) {
        for (const file of definition.fileDescriptorProtos ?? []) files.set(file.toString('base64'), file);
      }
      // FileDescriptorSet: `repeated FileDescriptorProto file = 1`, each a tag, a varint length and the bytes.
      const varint = (value) => {
        const bytes = [];
        for (; value > 0x7f; value >>>= 7) bytes.push((value & 0x7f) | 0x80);
        return Buffer.from([...bytes, value]);
      };
      const set = Buffer.concat([...files.values()].flatMap((file) => [Buffer.from([0x0a]), varint(file.length), file]));
      return {
        contents: `export const PREDICT_V2_DESCRIPTOR_SET = Buffer.from(${JSON.stringify(set.toString('base64'))}, 'base64');`,
        loader: 'js',
        watchFiles: [protoFile],
      };
    });
  },
};

rmSync(path.join(root, 'dist'), { recursive: true, force: true });

const lazyEntries = new Set();
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [startUpOnly(lazyEntries), lazyChildProcessForCommander],
  define: { MLP_BUNDLED_VERSION: JSON.stringify(manifest.version) },
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
});

// Every handler is an entry even if no definition names it yet, so a new command's handler is never missed.
const handlers = readdirSync(path.join(src, 'commands', 'handlers'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => path.join(src, 'commands', 'handlers', file));
await build({
  absWorkingDir: root,
  entryPoints: [...new Set([...lazyEntries, ...handlers])],
  outbase: 'src',
  outdir: 'dist',
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
  // Bundled CommonJS dependencies (cross-spawn under execa, for one) require() node built-ins: that needs a real require.
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
  plugins: [inlineUiAssets, inlineGrpcDescriptor],
  sourcemap: true,
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // pino and prom-client are CommonJS and require() node built-ins.
  banner: { js: "import { createRequire as mlpCreateRequire } from 'node:module'; const require = mlpCreateRequire(import.meta.url);" },
});
