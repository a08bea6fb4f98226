#!/usr/bin/env node
// bench/build: what `mlp build` and `mlp push` cost, measured in one run against the cold build of the same run.
//   1. cold build     the bench project's image with BuildKit's cache pruned (the base image stays: nothing can be pulled here)
//   2. no-op rebuild  `mlp build` again with nothing changed                  target ≤ 5 % of the cold build
//   3. code change    one line of the serving app changed: rebuild, push, and the bytes the push uploaded  target ≤ 5 MB
//   4. image size     the serving image, uncompressed                           target ≤ 300 MB
// Needs the bench (bash test/bench/up.sh) and a built mlp (npm run build). Usage: node bench/build/run.mjs [--runs N]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'mlp');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const registry = `127.0.0.1:${process.env.MLP_BENCH_REGISTRY_PORT ?? '5000'}`;
const baseImage = process.env.MLP_BENCH_BASE_IMAGE ?? 'mlp-bench/node:20-bookworm-slim';
const server = path.join(root, 'dist', 'serving', 'server.js');

const work = mkdtempSync(path.join(tmpdir(), 'mlp-bench-build-'));
const name = `bench${Date.now().toString(36)}`;
cpSync(path.join(root, 'serving', 'test', 'fixtures', 'fraud-model'), path.join(work, 'model'), { recursive: true });
writeFileSync(
  path.join(work, 'mlp.yaml'),
  `apiVersion: mlp/v1\nname: ${name}\nbuild:\n  baseImage: ${baseImage}\nregistry:\n  type: generic\n  url: ${registry}\nservices:\n  - name: api\n    model: { source: dir, path: model }\n`,
);

function mlp(...args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [bin, ...args, '--json'], {
    cwd: work,
    env: { ...process.env, CI: 'true' },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`mlp ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return { ms, out: JSON.parse(result.stdout) };
}
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function manifestLayers(reference) {
  const [repo, digest] = reference.replace(`${registry}/`, '').split('@');
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  const manifest = await res.json();
  return new Map(manifest.layers.map((layer) => [layer.digest, layer.size]));
}

const originalServer = readFileSync(server);
try {
  // 1. cold: no BuildKit cache (the npm download and every layer are redone), no image.
  docker('builder', 'prune', '-af');
  const cold = mlp('build');
  const image = cold.out.images[0];
  if (image.action !== 'built') throw new Error(`the cold build did not build: ${JSON.stringify(image)}`);
  const firstPush = mlp('push');
  const before = await manifestLayers(firstPush.out.images[0].reference);

  // 2. no-op rebuilds
  const noop = [];
  for (let i = 0; i < runs; i += 1) {
    const run = mlp('build');
    if (run.out.images[0].action !== 'skipped') throw new Error('a no-op rebuild built');
    noop.push(run.ms);
  }

  // 3. a code-only change: one more line in the bundled server
  writeFileSync(server, Buffer.concat([originalServer, Buffer.from(`\n// bench/build code change ${Date.now()}\n`)]));
  const rebuilt = mlp('build');
  const pushed = mlp('push');
  const after = await manifestLayers(pushed.out.images[0].reference);
  const newLayers = [...after].filter(([digest]) => !before.has(digest));
  const uploaded = newLayers.reduce((sum, [, size]) => sum + size, 0);

  // 4. size
  const size = Number(docker('image', 'inspect', '--format', '{{.Size}}', image.image));
  const mb = (bytes) => (bytes / 1e6).toFixed(2);
  const noopMedian = median(noop);
  console.log(`bench/build (${new Date().toISOString()}, ${runs} no-op runs, median)`);
  console.log(`  cold build                 ${(cold.ms / 1000).toFixed(1)} s   (BuildKit cache pruned; base image local)`);
  console.log(`  first push                 ${(firstPush.ms / 1000).toFixed(1)} s   to ${registry}`);
  console.log(
    `  no-op rebuild              ${noopMedian.toFixed(0)} ms  = ${((noopMedian / cold.ms) * 100).toFixed(2)} % of cold   (target ≤ 5 %)`,
  );
  console.log(`  code change: rebuild       ${(rebuilt.ms / 1000).toFixed(1)} s   (${rebuilt.out.images[0].reasons.join(', ')})`);
  console.log(
    `  code change: push          ${(pushed.ms / 1000).toFixed(1)} s, uploaded ${newLayers.length} layer(s), ${mb(uploaded)} MB compressed   (target ≤ 5 MB)`,
  );
  console.log(`  serving image size         ${mb(size)} MB uncompressed   (target ≤ 300 MB)`);
} finally {
  writeFileSync(server, originalServer);
  rmSync(work, { recursive: true, force: true });
}
