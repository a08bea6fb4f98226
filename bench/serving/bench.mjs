#!/usr/bin/env node
// bench/serving: mlp's inference server against two FastAPI peers and a bare node:http ceiling, on the same
// model and payloads. Normally started by bench/serving/run.sh, which prepares BENCH_CACHE (venv, trained
// model, payloads) and runs this script pinned to CPU 1. Servers run one at a time pinned to CPU 0 (taskset),
// wrk pinned to CPU 1, all on 127.0.0.1. See bench/README.md.
//
// Environment (all optional except BENCH_CACHE):
//   BENCH_CACHE     directory with venv/ and model/ (run.sh's ~/.cache/mlp-bench-serving)
//   BENCH_DURATION  seconds per measured wrk run (10)      BENCH_RUNS    measured runs per scenario (3)
//   BENCH_WARMUP    seconds of wrk warm-up per server (3)  BENCH_STARTS  cold starts per server for start-to-ready (3)
//   BENCH_SERVERS   comma-separated subset of: mlp,mlp-info,peer-a,peer-b,ceiling (all)
//   BENCH_MLP_INFO  0 to skip the extra mlp run with LOG_LEVEL=info (1)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const here = import.meta.dirname;
const cache = process.env.BENCH_CACHE;
if (!cache) throw new Error('BENCH_CACHE is not set: start this through bench/serving/run.sh');
const modelDir = path.join(cache, 'model');
const python = path.join(cache, 'venv', 'bin', 'python');
const logDir = path.join(cache, 'logs');
fs.mkdirSync(logDir, { recursive: true });
const pidFile = path.join(cache, 'servers.pid');

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const STARTS = Number(process.env.BENCH_STARTS ?? 3);
const HOST = '127.0.0.1';
const READY_POLL_MS = 10;
const READY_LIMIT_MS = 60_000;
const STOP_LIMIT_MS = 5_000;

const TARGETS = { speedupVsPeerB32: 12, fractionOfCeiling32: 0.7, p99Ms32: 5, errors: 0, readyMs: 1000 };

const predictBody = path.join(modelDir, 'predict.json');
const batchBody = path.join(modelDir, 'batch.json');
const batchRows = JSON.parse(fs.readFileSync(batchBody, 'utf8')).instances.length;

const SCENARIOS = [
  { id: 'predict-c1', path: '/predict', body: predictBody, rows: 1, connections: 1 },
  { id: 'predict-c32', path: '/predict', body: predictBody, rows: 1, connections: 32 },
  { id: 'predict-c128', path: '/predict', body: predictBody, rows: 1, connections: 128 },
  { id: `batch${batchRows}-c32`, path: '/batch_predict', body: batchBody, rows: batchRows, connections: 32 },
];

const mlpEnv = (level) => ({ MODEL_DIR: modelDir, HOST, LOG_LEVEL: level });
const SERVERS = [
  {
    name: 'mlp',
    label: 'mlp (LOG_LEVEL=warn)',
    command: process.execPath,
    args: [path.join(root, 'dist', 'serving', 'server.js')],
    env: mlpEnv('warn'),
    scenarios: SCENARIOS,
  },
  {
    name: 'mlp-info',
    label: 'mlp (LOG_LEVEL=info)',
    command: process.execPath,
    args: [path.join(root, 'dist', 'serving', 'server.js')],
    env: mlpEnv('info'),
    scenarios: SCENARIOS.filter((s) => s.id === 'predict-c32'),
  },
  {
    name: 'peer-b',
    label: 'peer B fastapi+onnxruntime',
    command: python,
    args: [path.join(root, 'bench', 'peers', 'fastapi_onnx', 'app.py')],
    env: { MODEL_DIR: modelDir, HOST, LOG_LEVEL: 'warning' },
    scenarios: SCENARIOS,
  },
  {
    name: 'peer-a',
    label: 'peer A fastapi+sklearn',
    command: python,
    args: [path.join(root, 'bench', 'peers', 'fastapi_sklearn', 'app.py')],
    env: { MODEL_DIR: modelDir, HOST, LOG_LEVEL: 'warning' },
    scenarios: SCENARIOS,
  },
  {
    name: 'ceiling',
    label: 'ceiling node:http echo',
    command: process.execPath,
    args: [path.join(root, 'bench', 'peers', 'node-echo.mjs')],
    env: { HOST },
    scenarios: SCENARIOS,
  },
];

// ---------------------------------------------------------------------------------------------- cleanup
const live = new Map(); // pid -> ChildProcess, every process this script started and has not seen exit
function writePidFile() {
  fs.writeFileSync(pidFile, [...live.keys()].join('\n') + (live.size ? '\n' : ''));
}
function track(child) {
  live.set(child.pid, child);
  writePidFile();
  child.once('exit', () => {
    live.delete(child.pid);
    writePidFile();
  });
}
function killAll() {
  for (const child of live.values()) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`bench: ${signal}, killing ${live.size} child process(es)`);
    killAll();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------- helpers
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}
async function freePort(start) {
  for (let port = start; port < start + 200; port += 1) if (await portIsFree(port)) return port;
  throw new Error(`no free port in ${start}..${start + 199}`);
}

function request(port, method, urlPath, body, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: HOST,
        port,
        method,
        path: urlPath,
        agent: false,
        timeout: timeoutMs,
        headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => resolve({ status: 0, error: String(error) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, error: String(error) }));
    req.end(body);
  });
}

function runCommand(command, args, { env, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------- servers
async function startServer(server, attempt) {
  const port = await freePort(18700);
  const logPath = path.join(logDir, `${server.name}-${attempt}.log`);
  const logFd = fs.openSync(logPath, 'w');
  const started = performance.now();
  const child = spawn('taskset', ['-c', '0', server.command, ...server.args], {
    cwd: root,
    env: { ...process.env, ...server.env, PORT: String(port) },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  track(child);
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  let polls = 0;
  while (performance.now() - started < READY_LIMIT_MS) {
    if (exited) break;
    polls += 1;
    const answer = await request(port, 'GET', '/ready', undefined, 1000);
    if (answer.status === 200) {
      return { child, port, readyMs: performance.now() - started, polls, logPath, exitedRef: () => exited };
    }
    await sleep(READY_POLL_MS);
  }
  child.kill('SIGKILL');
  const log = fs.readFileSync(logPath, 'utf8').slice(-2000);
  throw new Error(`${server.name} not ready within ${READY_LIMIT_MS} ms (exit ${JSON.stringify(exited)}); log tail:\n${log}`);
}

async function stopServer(handle) {
  const { child } = handle;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([gone.then(() => false), sleep(STOP_LIMIT_MS).then(() => true)]);
  if (timedOut) {
    child.kill('SIGKILL');
    await Promise.race([gone, sleep(STOP_LIMIT_MS)]);
  }
}

function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    return { vmHwmKiB: kb('VmHWM'), vmRssKiB: kb('VmRSS') };
  } catch (error) {
    return { error: String(error) };
  }
}

// Before any load: one request of each shape must answer 200 with the expected fields, so that a server
// answering fast errors cannot be measured as fast.
async function sanityCheck(server, port) {
  const problems = [];
  const single = await request(port, 'POST', '/predict', fs.readFileSync(predictBody));
  try {
    const json = JSON.parse(single.body);
    if (single.status !== 200 || typeof json.prediction !== 'number' || typeof json.probability !== 'number') {
      problems.push(`/predict answered ${single.status}: ${single.body?.slice(0, 300)}`);
    }
  } catch {
    problems.push(`/predict answered ${single.status}: ${String(single.body ?? single.error).slice(0, 300)}`);
  }
  const batch = await request(port, 'POST', '/batch_predict', fs.readFileSync(batchBody));
  try {
    const json = JSON.parse(batch.body);
    if (batch.status !== 200 || json.predictions?.length !== batchRows) {
      problems.push(`/batch_predict answered ${batch.status}: ${batch.body?.slice(0, 300)}`);
    }
  } catch {
    problems.push(`/batch_predict answered ${batch.status}: ${String(batch.body ?? batch.error).slice(0, 300)}`);
  }
  return { ok: problems.length === 0, problems, samplePredict: single.body?.slice(0, 400) };
}

// ---------------------------------------------------------------------------------------------- wrk
async function wrk(port, scenario, seconds) {
  const url = `http://${HOST}:${port}${scenario.path}`;
  const args = [
    '-c',
    '1',
    'wrk',
    '-t1',
    `-c${scenario.connections}`,
    `-d${seconds}s`,
    '--latency',
    '--timeout',
    '5s',
    '-s',
    path.join(here, 'post.lua'),
    url,
  ];
  const result = await runCommand('taskset', args, {
    env: { BENCH_BODY: scenario.body },
    timeoutMs: (seconds + 20) * 1000,
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (result.code !== 0 || !line) {
    return { failed: true, code: result.code, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  }
  const s = JSON.parse(line.slice('BENCH_JSON '.length));
  // Cross-check against wrk's printed summary (what a human reads).
  const non2xx = Number(result.stdout.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const socket = result.stdout.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = socket
    ? socket
        .slice(1, 5)
        .map(Number)
        .reduce((a, b) => a + b, 0)
    : 0;
  const seconds_ = s.duration_us / 1e6;
  return {
    requests: s.requests,
    reqPerSec: s.requests / seconds_,
    rowsPerSec: (s.requests * scenario.rows) / seconds_,
    p50Ms: s.p50_us / 1000,
    p90Ms: s.p90_us / 1000,
    p99Ms: s.p99_us / 1000,
    p999Ms: s.p999_us / 1000,
    maxMs: s.max_us / 1000,
    meanMs: s.mean_us / 1000,
    non2xx: Math.max(non2xx, s.status),
    socketErrors: Math.max(socketErrors, s.connect + s.read + s.write + s.timeout),
    socketDetail: { connect: s.connect, read: s.read, write: s.write, timeout: s.timeout },
    wrkText: result.stdout
      .split('\n')
      .filter((l) => !l.startsWith('BENCH_JSON'))
      .join('\n')
      .trim(),
  };
}

// ---------------------------------------------------------------------------------------------- main
/** mlp's ml_model_run_requests histogram: how many requests its model runs served (micro-batching), so far. */
async function modelRunTotals(port) {
  const answer = await request(port, 'GET', '/metrics');
  const read = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(answer.body ?? '')?.[1]);
  return { sum: read('ml_model_run_requests_sum'), count: read('ml_model_run_requests_count') };
}

async function benchServer(server) {
  console.error(`\n== ${server.label}`);
  const readySamples = [];
  const record = { name: server.name, label: server.label, scenarios: {}, notes: [] };
  const handle = await startServer(server, 1);
  readySamples.push(handle.readyMs);
  console.error(`   ready in ${handle.readyMs.toFixed(0)} ms (${handle.polls} polls), port ${handle.port}, pid ${handle.child.pid}`);
  try {
    const sanity = await sanityCheck(server, handle.port);
    record.sanity = sanity;
    if (!sanity.ok) console.error(`   SANITY CHECK FAILED: ${sanity.problems.join('; ')}`);
    // warm-up: the single-row path at 32 connections, then (if measured) the batch path
    const warm = [server.scenarios.find((s) => s.path === '/predict'), server.scenarios.find((s) => s.path === '/batch_predict')].filter(
      Boolean,
    );
    for (const scenario of warm) {
      const w = await wrk(handle.port, { ...scenario, connections: 32 }, WARMUP);
      console.error(`   warm-up ${scenario.path}: ${w.failed ? 'wrk failed' : `${w.reqPerSec.toFixed(0)} req/s`}`);
    }
    for (const scenario of server.scenarios) {
      const batching = server.name.startsWith('mlp') && scenario.path === '/predict' ? await modelRunTotals(handle.port) : undefined;
      const runs = [];
      for (let i = 0; i < RUNS; i += 1) {
        const run = await wrk(handle.port, scenario, DURATION);
        runs.push(run);
        const exited = handle.exitedRef();
        console.error(
          `   ${scenario.id} run ${i + 1}: ` +
            (run.failed
              ? `wrk failed (code ${run.code}): ${run.stderr.slice(0, 300)}`
              : `${run.reqPerSec.toFixed(0)} req/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, ` +
                `non-2xx ${run.non2xx}, socket errors ${run.socketErrors}`),
        );
        if (exited) {
          record.notes.push(`server exited during ${scenario.id} run ${i + 1}: ${JSON.stringify(exited)}`);
          console.error(`   SERVER EXITED: ${JSON.stringify(exited)}; log ${handle.logPath}`);
          break;
        }
      }
      const ok = runs.filter((r) => !r.failed);
      record.scenarios[scenario.id] = {
        connections: scenario.connections,
        path: scenario.path,
        rowsPerRequest: scenario.rows,
        reqPerSec: median(ok.map((r) => r.reqPerSec)),
        rowsPerSec: median(ok.map((r) => r.rowsPerSec)),
        p50Ms: median(ok.map((r) => r.p50Ms)),
        p99Ms: median(ok.map((r) => r.p99Ms)),
        errors: ok.reduce((sum, r) => sum + r.non2xx + r.socketErrors, 0) + (runs.length - ok.length),
        failedRuns: runs.length - ok.length + (RUNS - runs.length),
        runs: runs.map(({ wrkText, ...rest }) => ({ ...rest, wrkText })),
      };
      if (batching) {
        const after = await modelRunTotals(handle.port);
        const mean = (after.sum - batching.sum) / (after.count - batching.count);
        record.scenarios[scenario.id].meanRequestsPerModelRun = Number.isFinite(mean) ? Number(mean.toFixed(2)) : null;
        console.error(`   ${scenario.id}: ${Number.isFinite(mean) ? mean.toFixed(2) : '?'} requests per model run (ml_model_run_requests)`);
      }
      if (handle.exitedRef()) break;
    }
    record.memory = memoryOf(handle.child.pid);
    // Is it still answering after the load?
    const after = await request(handle.port, 'POST', '/predict', fs.readFileSync(predictBody));
    record.answersAfterLoad = after.status === 200;
    if (!record.answersAfterLoad)
      record.notes.push(`after load /predict answered ${after.status} ${after.error ?? after.body?.slice(0, 200)}`);
  } finally {
    await stopServer(handle);
  }
  // more cold starts for start-to-ready
  for (let attempt = 2; attempt <= STARTS; attempt += 1) {
    const h = await startServer(server, attempt);
    readySamples.push(h.readyMs);
    await stopServer(h);
  }
  record.readyMsSamples = readySamples.map((v) => Number(v.toFixed(1)));
  record.readyMs = median(readySamples);
  console.error(
    `   start-to-ready samples ${record.readyMsSamples.join(', ')} ms; peak RSS ${(record.memory?.vmHwmKiB / 1024).toFixed(0)} MiB`,
  );
  return record;
}

function fmt(value, digits = 0) {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function report(results) {
  const lines = [];
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  const header = ['server', 'scenario', 'req/s', 'rows/s', 'p50 ms', 'p99 ms', 'errors', 'ready ms', 'peak RSS MiB'];
  const rows = [];
  for (const r of results) {
    let first = true;
    for (const [id, s] of Object.entries(r.scenarios)) {
      rows.push([
        first ? r.label : '',
        id,
        fmt(s.reqPerSec),
        fmt(s.rowsPerSec),
        fmt(s.p50Ms, 2),
        fmt(s.p99Ms, 2),
        String(s.errors) + (s.failedRuns ? ` (${s.failedRuns} failed runs)` : ''),
        first ? fmt(r.readyMs) : '',
        first ? fmt(r.memory?.vmHwmKiB / 1024) : '',
      ]);
      first = false;
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));

  const checks = [];
  const mlp = byName.mlp;
  const peerB = byName['peer-b'];
  const peerA = byName['peer-a'];
  const ceiling = byName.ceiling;
  lines.push('', 'ratios (medians of req/s):');
  for (const s of SCENARIOS) {
    const m = mlp?.scenarios[s.id]?.reqPerSec;
    const b = peerB?.scenarios[s.id]?.reqPerSec;
    const a = peerA?.scenarios[s.id]?.reqPerSec;
    const c = ceiling?.scenarios[s.id]?.reqPerSec;
    lines.push(
      `  ${s.id.padEnd(13)} mlp / peer B = ${fmt(m / b, 2)}x   mlp / peer A = ${fmt(m / a, 2)}x   mlp / ceiling = ${fmt((100 * m) / c, 1)} %`,
    );
  }
  const target = (what, value, shown, met) => checks.push({ what, value, shown, met });
  const m32 = mlp?.scenarios['predict-c32'];
  target(
    `mlp / peer B req/s at 32 connections >= ${TARGETS.speedupVsPeerB32}x`,
    m32?.reqPerSec / peerB?.scenarios['predict-c32']?.reqPerSec,
    (v) => `${fmt(v, 2)}x`,
    (v) => v >= TARGETS.speedupVsPeerB32,
  );
  target(
    `mlp / ceiling req/s at 32 connections >= ${TARGETS.fractionOfCeiling32 * 100} %`,
    m32?.reqPerSec / ceiling?.scenarios['predict-c32']?.reqPerSec,
    (v) => `${fmt(100 * v, 1)} %`,
    (v) => v >= TARGETS.fractionOfCeiling32,
  );
  target(
    `mlp p99 at 32 connections <= ${TARGETS.p99Ms32} ms`,
    m32?.p99Ms,
    (v) => `${fmt(v, 2)} ms`,
    (v) => v <= TARGETS.p99Ms32,
  );
  const mlpErrors = mlp
    ? Object.values(mlp.scenarios).reduce((sum, s) => sum + s.errors, 0) +
      (mlp.sanity?.ok ? 0 : 1) +
      (mlp.answersAfterLoad ? 0 : 1) +
      mlp.notes.length
    : NaN;
  target(
    'mlp errors (non-2xx + socket errors + failed runs, all scenarios) = 0',
    mlpErrors,
    (v) => String(v),
    (v) => v === 0,
  );
  target(
    `mlp start-to-ready <= ${TARGETS.readyMs} ms (median of ${STARTS})`,
    mlp?.readyMs,
    (v) => `${fmt(v)} ms`,
    (v) => v <= TARGETS.readyMs,
  );
  lines.push('', 'targets:');
  for (const c of checks) {
    c.ok = Number.isFinite(c.value) && c.met(c.value);
    lines.push(`  [${c.ok ? 'met' : 'NOT met'}] ${c.what}: ${c.shown(c.value)}`);
  }
  const otherErrors = results
    .filter((r) => r.name !== 'mlp')
    .map((r) => `${r.name} ${Object.values(r.scenarios).reduce((sum, s) => sum + s.errors, 0)}`);
  lines.push(`  errors of the others: ${otherErrors.join(', ')}`);
  for (const r of results) {
    if (!r.sanity?.ok) lines.push(`  ${r.name}: sanity check failed: ${r.sanity?.problems.join('; ')}`);
    for (const note of r.notes) lines.push(`  ${r.name}: ${note}`);
  }
  return { text: lines.join('\n'), checks: checks.map(({ met, shown, ...rest }) => ({ ...rest, shown: shown(rest.value) })) };
}

async function main() {
  const startedAt = new Date();
  const wanted = process.env.BENCH_SERVERS?.split(',').map((s) => s.trim());
  let servers = SERVERS.filter((s) => !wanted || wanted.includes(s.name));
  if (process.env.BENCH_MLP_INFO === '0') servers = servers.filter((s) => s.name !== 'mlp-info');
  const results = [];
  for (const server of servers) {
    try {
      results.push(await benchServer(server));
    } catch (error) {
      console.error(`   ${server.name} FAILED: ${error.stack ?? error}`);
      results.push({ name: server.name, label: server.label, scenarios: {}, notes: [`failed: ${error.message}`], readyMs: NaN });
    }
  }
  const { text, checks } = report(results);
  const elapsedS = (Date.now() - startedAt.getTime()) / 1000;
  const wrkVersion = (await runCommand('wrk', ['-v'], { timeoutMs: 5000 })).stdout.split('\n')[0];
  const environment = {
    node: process.version,
    wrk: wrkVersion,
    cpus: os.cpus().map((c) => c.model)[0],
    cpuCount: os.cpus().length,
    kernel: os.release(),
    duration_s: DURATION,
    runs: RUNS,
    warmup_s: WARMUP,
    starts: STARTS,
    pinning: 'servers taskset -c 0; wrk and this script taskset -c 1',
    host: HOST,
    payloads: { predict: predictBody, batch: batchBody, batchRows },
    python: fs.existsSync(path.join(cache, 'venv', 'freeze.txt'))
      ? fs
          .readFileSync(path.join(cache, 'venv', 'freeze.txt'), 'utf8')
          .trim()
          .split('\n')
      : [],
    model: JSON.parse(fs.readFileSync(path.join(modelDir, 'metadata.json'), 'utf8')),
    gitHead: (await runCommand('git', ['-C', root, 'rev-parse', 'HEAD'], { timeoutMs: 5000 })).stdout.trim(),
  };
  const title =
    `bench/serving ${startedAt.toISOString()} (${RUNS} x ${DURATION} s per scenario, medians; wrk -t1; ` +
    `servers on CPU 0, wrk on CPU 1; took ${elapsedS.toFixed(0)} s)`;
  console.log(`${title}\n\n${text}`);
  const resultsDir = path.join(here, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ startedAt, elapsedS, environment, targets: TARGETS, checks, results, table: text }, null, 2) + '\n',
  );
  console.log(`\nresults: ${path.relative(root, file)}`);
}

const deadline = setTimeout(
  () => {
    console.error('bench: overall time limit (30 min) reached, stopping');
    killAll();
    process.exit(124);
  },
  30 * 60 * 1000,
);
deadline.unref();
await main();
killAll();
