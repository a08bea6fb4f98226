#!/usr/bin/env node
// How long `mlp --help` takes as a whole process, as a ratio to `node -e 0` measured in the same run
// (interleaved, so both see the same machine load). Target: <= 1.6x.
//   node bench/cli-startup.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 30;
const TARGET = 1.6;

const subjects = {
  'node -e 0': [process.execPath, ['-e', '0']],
  'mlp --help': [process.execPath, [path.join(root, 'bin', 'mlp'), '--help']],
  'mlp --version': [process.execPath, [path.join(root, 'bin', 'mlp'), '--version']],
};

function timeOnce([command, args]) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: 'ignore', env: { PATH: process.env.PATH } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const samples = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
for (let i = 0; i < 3; i += 1) for (const subject of Object.values(subjects)) timeOnce(subject); // warm the page cache
for (let i = 0; i < runs; i += 1) {
  for (const [name, subject] of Object.entries(subjects)) samples[name].push(timeOnce(subject));
}

const baseline = median(samples['node -e 0']);
console.log(`cli-startup: ${runs} interleaved runs each, node ${process.version}`);
console.log('subject          min ms  median ms  max ms  ratio to node -e 0');
for (const [name, values] of Object.entries(samples)) {
  const ratio = median(values) / baseline;
  console.log(
    `${name.padEnd(15)} ${Math.min(...values)
      .toFixed(1)
      .padStart(7)} ${median(values).toFixed(1).padStart(10)} ${Math.max(...values)
      .toFixed(1)
      .padStart(7)}  ${ratio.toFixed(2)}x`,
  );
}
const helpRatio = median(samples['mlp --help']) / baseline;
console.log(`mlp --help / node -e 0 = ${helpRatio.toFixed(2)}x (target <= ${TARGET}x): ${helpRatio <= TARGET ? 'met' : 'NOT met'}`);
