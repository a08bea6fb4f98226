#!/usr/bin/env node
// bench/serving: mlp's inference server (REST, V2 REST, V2 gRPC) against MLServer, two FastAPI peers and a bare
// node:http ceiling, on the same model and payloads. Normally started by bench/serving/run.sh, which prepares
// BENCH_CACHE (venvs, ghz, trained model, payloads) and runs this script pinned to CPU 1. Servers run one at a time
// pinned to CPU 0 (taskset), wrk and ghz pinned to CPU 1, all on 127.0.0.1. See bench/README.md.
//
// Environment (all optional except BENCH_CACHE):
//   BENCH_CACHE     directory with venv/, mlserver-venv/, bin/ghz and model/ (run.sh's ~/.cache/mlp-bench-serving)
//   BENCH_DURATION  seconds per measured wrk run (10)      BENCH_RUNS    measured runs per scenario (3)
//   BENCH_WARMUP    seconds of wrk warm-up per server (3)  BENCH_STARTS  cold starts per server for start-to-ready (3)
//   BENCH_SERVERS   comma-separated subset of: mlp,mlp-warn,mlserver,peer-b,peer-a,ceiling (all)
//   BENCH_MLP_WARN  0 to skip the extra mlp run with LOG_LEVEL=warn (1)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const root = path.resolve(import.meta.dirname, '..', '..');
const here = import.meta.dirname;
const cache = process.env.BENCH_CACHE;
if (!cache) throw new Error('BENCH_CACHE is not set: start this through bench/serving/run.sh');
const modelDir = path.join(cache, 'model');
const python = path.join(cache, 'venv', 'bin', 'python');
const mlserverBin = path.join(cache, 'mlserver-venv', 'bin', 'mlserver');
const ghzBin = path.join(cache, 'bin', 'ghz');
const protoPath = path.join(root, 'serving', 'proto', 'grpc_predict_v2.proto');
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

const TARGETS = {
  fractionOfCeiling32: 0.65,
  p99Ms32: 5,
  v2SpeedupVsMlserver32: 30,
  grpcSpeedupVsMlserver32: 10,
  batchFractionOfCeiling: 0.5,
  errors: 0,
  readyMs: 500,
};

const predictBody = path.join(modelDir, 'predict.json');
const batchBody = path.join(modelDir, 'batch.json');
const batchRows = JSON.parse(fs.readFileSync(batchBody, 'utf8')).instances.length;
const v2Expected = JSON.parse(fs.readFileSync(path.join(modelDir, 'v2-expected.json'), 'utf8'));
// One V2 body per server: mlp names its outputs label/probabilities, mlserver-sklearn predict/predict_proba.
const v2Body = (flavour) => path.join(modelDir, `v2-${flavour}.json`);
const grpcBody = (flavour) => path.join(modelDir, `grpc-${flavour}.json`);

const SCENARIOS = [
  { id: 'predict-c1', path: '/predict', body: predictBody, rows: 1, connections: 1 },
  { id: 'predict-c32', path: '/predict', body: predictBody, rows: 1, connections: 32 },
  { id: 'predict-c128', path: '/predict', body: predictBody, rows: 1, connections: 128 },
  { id: `batch${batchRows}-c32`, path: '/batch_predict', body: batchBody, rows: batchRows, connections: 32 },
  { id: 'v2-c32', path: '/v2/models/fraud/infer', v2: true, rows: 1, connections: 32 },
  { id: 'grpc-c32', grpc: true, rows: 1, connections: 32 },
];
const pick = (...ids) => SCENARIOS.filter((s) => ids.includes(s.id));
const REST_SCENARIOS = SCENARIOS.filter((s) => !s.v2 && !s.grpc);

const mlpEnv = (level) => ({ MODEL_DIR: modelDir, HOST, LOG_LEVEL: level });
const mlpServer = path.join(root, 'dist', 'serving', 'server.js');
const mlserverRepo = path.join(cache, 'mlserver-repo');
const SERVERS = [
  {
    name: 'mlp',
    label: 'mlp (LOG_LEVEL=info)',
    command: process.execPath,
    args: [mlpServer],
    env: mlpEnv('info'),
    grpcPortEnv: 'GRPC_PORT',
    flavour: 'mlp',
    scenarios: SCENARIOS,
  },
  {
    name: 'mlp-warn',
    label: 'mlp (LOG_LEVEL=warn)',
    command: process.execPath,
    args: [mlpServer],
    env: mlpEnv('warn'),
    flavour: 'mlp',
    scenarios: pick('predict-c32', 'v2-c32'),
  },
  {
    // MLServer's defaults (parallel_workers 1, debug true: access log on), only host, ports and its working
    // directories set; see prepareMlserver() and bench/README.md.
    name: 'mlserver',
    label: 'MLServer 1.7.1 sklearn',
    command: mlserverBin,
    args: ['start', mlserverRepo],
    cwd: mlserverRepo,
    // the server-level readiness can answer 200 before the model is registered: the model's too
    readyPath: ['/v2/health/ready', '/v2/models/fraud/ready'],
    env: { MLSERVER_HOST: HOST },
    portEnv: 'MLSERVER_HTTP_PORT',
    grpcPortEnv: 'MLSERVER_GRPC_PORT',
    metricsPortEnv: 'MLSERVER_METRICS_PORT',
    flavour: 'mlserver',
    scenarios: pick('v2-c32', 'grpc-c32'),
  },
  {
    name: 'peer-b',
    label: 'peer B fastapi+onnxruntime',
    command: python,
    args: [path.join(root, 'bench', 'peers', 'fastapi_onnx', 'app.py')],
    env: { MODEL_DIR: modelDir, HOST, LOG_LEVEL: 'warning' },
    scenarios: REST_SCENARIOS,
  },
  {
    // only the 32-connection scenarios, to keep the default run under 15 minutes
    name: 'peer-a',
    label: 'peer A fastapi+sklearn',
    command: python,
    args: [path.join(root, 'bench', 'peers', 'fastapi_sklearn', 'app.py')],
    env: { MODEL_DIR: modelDir, HOST, LOG_LEVEL: 'warning' },
    scenarios: pick('predict-c32', `batch${batchRows}-c32`),
  },
  {
    name: 'ceiling',
    label: 'ceiling node:http echo',
    command: process.execPath,
    args: [path.join(root, 'bench', 'peers', 'node-echo.mjs')],
    env: { HOST },
    flavour: 'mlp',
    scenarios: [...REST_SCENARIOS, ...pick('v2-c32')],
  },
];

/** MLServer's model repository in the cache: bench/peers/mlserver/model-settings.json with the model's absolute uri. */
function prepareMlserver() {
  const settings = JSON.parse(fs.readFileSync(path.join(root, 'bench', 'peers', 'mlserver', 'model-settings.json'), 'utf8'));
  settings.parameters.uri = path.join(modelDir, 'model.joblib');
  fs.mkdirSync(path.join(mlserverRepo, 'fraud'), { recursive: true });
  fs.writeFileSync(path.join(mlserverRepo, 'fraud', 'model-settings.json'), JSON.stringify(settings, null, 2) + '\n');
  return settings;
}

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
      process.kill(-child.pid, 'SIGKILL'); // each server leads its own process group
    } catch {
      try {
        child.kill('SIGKILL');
      } catch {}
    }
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
  if (Buffer.isBuffer(body)) body = body.toString('utf8');
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

function runCommand(command, args, { env, timeoutMs, cwd }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const extraPorts = {};
  let next = port + 1;
  for (const key of ['grpcPortEnv', 'metricsPortEnv']) {
    if (!server[key]) continue;
    next = await freePort(next);
    extraPorts[server[key]] = String(next);
    next += 1;
  }
  const logPath = path.join(logDir, `${server.name}-${attempt}.log`);
  const logFd = fs.openSync(logPath, 'w');
  const started = performance.now();
  const child = spawn('taskset', ['-c', '0', server.command, ...server.args], {
    cwd: server.cwd ?? root,
    env: { ...process.env, ...server.env, [server.portEnv ?? 'PORT']: String(port), ...extraPorts },
    stdio: ['ignore', logFd, logFd],
    detached: true, // its own process group, so that its worker processes can be killed with it
  });
  fs.closeSync(logFd);
  track(child);
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  let polls = 0;
  while (performance.now() - started < READY_LIMIT_MS) {
    if (exited) break;
    polls += 1;
    let ready = true;
    for (const readyPath of [server.readyPath ?? '/ready'].flat()) {
      if (ready) ready = (await request(port, 'GET', readyPath, undefined, 1000)).status === 200;
    }
    if (ready) {
      const grpcPort = server.grpcPortEnv ? Number(extraPorts[server.grpcPortEnv]) : undefined;
      return {
        child,
        port,
        grpcPort,
        ports: { http: port, ...extraPorts },
        readyMs: performance.now() - started,
        polls,
        logPath,
        exitedRef: () => exited,
      };
    }
    await sleep(READY_POLL_MS);
  }
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
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
  try {
    process.kill(-child.pid, 'SIGKILL'); // any worker process left in its group
  } catch {}
}

/** The pid and its descendants, from /proc/<pid>/task/<tid>/children. */
function processTree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i += 1) {
    let tasks = [];
    try {
      tasks = fs.readdirSync(`/proc/${pids[i]}/task`);
    } catch {}
    for (const tid of tasks) {
      try {
        const children = fs.readFileSync(`/proc/${pids[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(/\s+/).map(Number));
      } catch {}
    }
  }
  return [...new Set(pids)];
}

function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    return { vmHwmKiB: kb('VmHWM'), vmRssKiB: kb('VmRSS'), name: status.match(/^Name:\s+(.*)$/m)?.[1] };
  } catch (error) {
    return { error: String(error) };
  }
}

/** Peak RSS summed over the server's process tree (each process's VmHWM; an upper bound of the tree's peak). */
function treeMemory(pid) {
  const processes = processTree(pid).map((p) => ({ pid: p, ...memoryOf(p) }));
  const sum = (key) => processes.reduce((total, p) => total + (Number.isFinite(p[key]) ? p[key] : 0), 0);
  return { vmHwmKiB: sum('vmHwmKiB'), vmRssKiB: sum('vmRssKiB'), processes };
}

// The V2 answer's probabilities for the one row: JSON data (REST), typed contents or raw bytes (gRPC).
function v2Probabilities(outputs, raw) {
  const output = outputs?.[0];
  if (!output) return undefined;
  if (Array.isArray(output.data)) return output.data.flat().map(Number);
  const contents = output.contents;
  for (const key of ['fp32_contents', 'fp64_contents']) if (contents?.[key]?.length) return contents[key].map(Number);
  const bytes = raw?.[0];
  if (bytes?.length) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = output.datatype === 'FP64' ? 8 : 4;
    return Array.from({ length: bytes.length / size }, (_, i) =>
      size === 8 ? view.getFloat64(i * 8, true) : view.getFloat32(i * 4, true),
    );
  }
  return undefined;
}
const probabilitiesMatch = (values) =>
  Array.isArray(values) &&
  values.length === v2Expected.probabilities.length &&
  values.every((v, i) => Math.abs(v - v2Expected.probabilities[i]) < 1e-4);

let grpcService;
function grpcClient(port) {
  if (!grpcService) {
    const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: Number, defaults: true });
    grpcService = grpc.loadPackageDefinition(definition).inference.GRPCInferenceService;
  }
  return new grpcService(`${HOST}:${port}`, grpc.credentials.createInsecure());
}
function grpcInfer(port, message) {
  return new Promise((resolve) => {
    const client = grpcClient(port);
    client.ModelInfer(message, { deadline: Date.now() + 5000 }, (error, response) => {
      client.close();
      resolve(error ? { error: `${grpc.status[error.code]}: ${error.details}` } : { response });
    });
  });
}

// Before any load: one request of each shape the server is measured on must answer 200 (gRPC OK) with the expected
// fields (the V2 ones with model.joblib's probabilities), so that a server answering fast errors cannot be measured as fast.
async function sanityCheck(server, handle) {
  const { port } = handle;
  const problems = [];
  const samples = {};
  const has = (pred) => server.scenarios.some(pred);
  if (has((s) => s.path === '/predict')) {
    const single = await request(port, 'POST', '/predict', fs.readFileSync(predictBody));
    samples.predict = single.body?.slice(0, 400);
    try {
      const json = JSON.parse(single.body);
      if (single.status !== 200 || typeof json.prediction !== 'number' || typeof json.probability !== 'number') {
        problems.push(`/predict answered ${single.status}: ${single.body?.slice(0, 300)}`);
      }
    } catch {
      problems.push(`/predict answered ${single.status}: ${String(single.body ?? single.error).slice(0, 300)}`);
    }
  }
  if (has((s) => s.path === '/batch_predict')) {
    const batch = await request(port, 'POST', '/batch_predict', fs.readFileSync(batchBody));
    try {
      const json = JSON.parse(batch.body);
      if (batch.status !== 200 || json.predictions?.length !== batchRows) {
        problems.push(`/batch_predict answered ${batch.status}: ${batch.body?.slice(0, 300)}`);
      }
    } catch {
      problems.push(`/batch_predict answered ${batch.status}: ${String(batch.body ?? batch.error).slice(0, 300)}`);
    }
  }
  const v2 = server.scenarios.find((s) => s.v2);
  if (v2) {
    const answer = await request(port, 'POST', v2.path, fs.readFileSync(v2Body(server.flavour)));
    samples.v2 = answer.body?.slice(0, 400);
    let ok = answer.status === 200;
    if (ok && server.name !== 'ceiling') {
      try {
        ok = probabilitiesMatch(v2Probabilities(JSON.parse(answer.body).outputs));
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      problems.push(
        `${v2.path} answered ${answer.status}: ${String(answer.body ?? answer.error).slice(0, 300)} ` +
          `(expected probabilities ${JSON.stringify(v2Expected.probabilities)})`,
      );
    }
  }
  if (server.scenarios.some((s) => s.grpc)) {
    const message = JSON.parse(fs.readFileSync(grpcBody(server.flavour), 'utf8'));
    const { response, error } = await grpcInfer(handle.grpcPort, message);
    samples.grpc =
      error ??
      JSON.stringify({ ...response, raw_output_contents: response.raw_output_contents?.map((b) => b.toString('base64')) }).slice(0, 400);
    if (error || !probabilitiesMatch(v2Probabilities(response.outputs, response.raw_output_contents))) {
      problems.push(`gRPC ModelInfer answered ${samples.grpc} (expected probabilities ${JSON.stringify(v2Expected.probabilities)})`);
    }
  }
  return { ok: problems.length === 0, problems, samples };
}

// ---------------------------------------------------------------------------------------------- wrk
async function wrk(port, scenario, seconds) {
  if (scenario.grpc) return ghz(port, scenario, seconds);
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
    env: { BENCH_BODY: scenario.bodyFile ?? scenario.body },
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

// ---------------------------------------------------------------------------------------------- ghz
async function ghz(port, scenario, seconds) {
  const out = path.join(logDir, `ghz-${process.pid}.json`);
  const args = [
    '-c',
    '1',
    ghzBin,
    '--insecure',
    '--proto',
    protoPath,
    '--call',
    'inference.GRPCInferenceService.ModelInfer',
    '--data-file',
    scenario.bodyFile,
    '--connections',
    String(scenario.connections),
    '-c',
    String(scenario.connections),
    '--duration',
    `${seconds}s`,
    '--timeout',
    '5s',
    '--format',
    'json',
    '--output',
    out,
    `${HOST}:${port}`,
  ];
  fs.rmSync(out, { force: true });
  const result = await runCommand('taskset', args, { env: {}, timeoutMs: (seconds + 20) * 1000 });
  let report;
  try {
    report = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch {
    return { failed: true, code: result.code, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  } finally {
    fs.rmSync(out, { force: true });
  }
  delete report.details; // one entry per call
  const ns = (p) => report.latencyDistribution?.find((d) => d.percentage === p)?.latency / 1e6;
  const statuses = report.statusCodeDistribution ?? {};
  const ok = statuses.OK ?? 0;
  // At the end of --duration ghz closes its connections under the calls still in flight (at most one per stream):
  // those are ghz's, not the server's, errors.
  const cutAtEnd = Object.entries(report.errorDistribution ?? {})
    .filter(([message]) => message.includes('use of closed network connection'))
    .reduce((sum, [, n]) => sum + n, 0);
  const cut = cutAtEnd <= scenario.connections ? cutAtEnd : 0;
  const totalS = report.total / 1e9;
  return {
    requests: report.count,
    reqPerSec: ok / totalS,
    rowsPerSec: (ok * scenario.rows) / totalS,
    p50Ms: ns(50),
    p90Ms: ns(90),
    p99Ms: ns(99),
    meanMs: report.average / 1e6,
    maxMs: report.slowest / 1e6,
    non2xx: report.count - ok - cut,
    cutAtEnd: cut,
    socketErrors: 0,
    statusCodes: statuses,
    errorDistribution: report.errorDistribution,
    wrkText: JSON.stringify({ ...report, histogram: undefined }),
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
  if (server.name === 'mlserver') {
    record.modelSettings = prepareMlserver();
    // the effective server settings: MLServer's defaults plus the MLSERVER_* variables the bench sets
    const printed = await runCommand(
      path.join(cache, 'mlserver-venv', 'bin', 'python'),
      ['-c', 'from mlserver.settings import Settings; print(Settings().model_dump_json())'],
      { env: server.env, cwd: mlserverRepo, timeoutMs: 60_000 },
    );
    try {
      record.settings = JSON.parse(printed.stdout);
    } catch {
      record.notes.push(`could not read MLServer's settings: ${printed.stderr.slice(0, 300)}`);
    }
  }
  const handle = await startServer(server, 1);
  readySamples.push(handle.readyMs);
  console.error(`   ready in ${handle.readyMs.toFixed(0)} ms (${handle.polls} polls), port ${handle.port}, pid ${handle.child.pid}`);
  try {
    record.ports = handle.ports;
    const sanity = await sanityCheck(server, handle);
    record.sanity = sanity;
    if (!sanity.ok) console.error(`   SANITY CHECK FAILED: ${sanity.problems.join('; ')}`);
    const scenarios = server.scenarios.map((s) => ({
      ...s,
      bodyFile: s.v2 ? v2Body(server.flavour) : s.grpc ? grpcBody(server.flavour) : s.body,
    }));
    const portOf = (scenario) => (scenario.grpc ? handle.grpcPort : handle.port);
    // warm-up: each kind of request (single row, batch, V2 REST, V2 gRPC) at 32 connections
    const kinds = new Map();
    for (const scenario of scenarios) {
      const kind = scenario.grpc ? 'gRPC ModelInfer' : scenario.path;
      if (!kinds.has(kind)) kinds.set(kind, scenario);
    }
    for (const [kind, scenario] of kinds) {
      const w = await wrk(portOf(scenario), { ...scenario, connections: 32 }, WARMUP);
      console.error(
        `   warm-up ${kind}: ${w.failed ? `load generator failed: ${w.stderr?.slice(0, 300)}` : `${w.reqPerSec.toFixed(0)} req/s`}`,
      );
    }
    for (const scenario of scenarios) {
      const batching = server.name.startsWith('mlp') && scenario.rows === 1 ? await modelRunTotals(handle.port) : undefined;
      const runs = [];
      for (let i = 0; i < RUNS; i += 1) {
        const run = await wrk(portOf(scenario), scenario, DURATION);
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
        loadGenerator: scenario.grpc ? 'ghz' : 'wrk',
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
    record.memory = treeMemory(handle.child.pid);
    // Is it still answering after the load?
    const after = await sanityCheck(server, handle);
    record.answersAfterLoad = after.ok;
    if (!record.answersAfterLoad) record.notes.push(`after load: ${after.problems.join('; ')}`);
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
  const mlserver = byName.mlserver;
  const ceiling = byName.ceiling;
  const rate = (r, id) => r?.scenarios[id]?.reqPerSec;
  lines.push('', 'ratios (medians of req/s):');
  for (const s of SCENARIOS) {
    const m = rate(mlp, s.id);
    const parts = [
      `mlp / peer B = ${fmt(m / rate(peerB, s.id), 2)}x`,
      `mlp / peer A = ${fmt(m / rate(peerA, s.id), 2)}x`,
      `mlp / MLServer = ${fmt(m / rate(mlserver, s.id), 2)}x`,
      `mlp / ceiling = ${fmt((100 * m) / rate(ceiling, s.id), 1)} %`,
    ];
    lines.push(`  ${s.id.padEnd(13)} ${parts.join('   ')}`);
  }
  const runsLine = [];
  for (const r of results.filter((x) => x.name.startsWith('mlp'))) {
    for (const [id, s] of Object.entries(r.scenarios)) {
      if (s.meanRequestsPerModelRun !== undefined) runsLine.push(`${r.name} ${id} ${fmt(s.meanRequestsPerModelRun, 2)}`);
    }
  }
  lines.push('', `mean requests per model run (ml_model_run_requests): ${runsLine.join(', ') || 'n/a'}`);
  const target = (what, value, shown, met) => checks.push({ what, value, shown, met });
  const percent = (v) => `${fmt(100 * v, 1)} %`;
  const times = (v) => `${fmt(v, 2)}x`;
  const ms = (v) => `${fmt(v, 2)} ms`;
  const batchId = `batch${batchRows}-c32`;
  target(
    `mlp /predict req/s at 32 connections >= ${TARGETS.fractionOfCeiling32 * 100} % of the ceiling's`,
    rate(mlp, 'predict-c32') / rate(ceiling, 'predict-c32'),
    percent,
    (v) => v >= TARGETS.fractionOfCeiling32,
  );
  target(
    `mlp /predict p99 at 32 connections <= ${TARGETS.p99Ms32} ms`,
    mlp?.scenarios['predict-c32']?.p99Ms,
    ms,
    (v) => v <= TARGETS.p99Ms32,
  );
  target(
    `mlp V2 REST req/s at 32 connections >= ${TARGETS.v2SpeedupVsMlserver32}x MLServer's`,
    rate(mlp, 'v2-c32') / rate(mlserver, 'v2-c32'),
    times,
    (v) => v >= TARGETS.v2SpeedupVsMlserver32,
  );
  target(
    `mlp V2 REST req/s at 32 connections >= ${TARGETS.fractionOfCeiling32 * 100} % of the ceiling's (echo on the same path)`,
    rate(mlp, 'v2-c32') / rate(ceiling, 'v2-c32'),
    percent,
    (v) => v >= TARGETS.fractionOfCeiling32,
  );
  target(`mlp V2 REST p99 at 32 connections <= ${TARGETS.p99Ms32} ms`, mlp?.scenarios['v2-c32']?.p99Ms, ms, (v) => v <= TARGETS.p99Ms32);
  target(
    `mlp V2 gRPC req/s at 32 streams >= ${TARGETS.grpcSpeedupVsMlserver32}x MLServer's`,
    rate(mlp, 'grpc-c32') / rate(mlserver, 'grpc-c32'),
    times,
    (v) => v >= TARGETS.grpcSpeedupVsMlserver32,
  );
  target(
    `mlp /batch_predict (${batchRows} rows) rows/s >= ${TARGETS.batchFractionOfCeiling * 100} % of the ceiling's`,
    mlp?.scenarios[batchId]?.rowsPerSec / ceiling?.scenarios[batchId]?.rowsPerSec,
    percent,
    (v) => v >= TARGETS.batchFractionOfCeiling,
  );
  const mlpErrors = mlp
    ? Object.values(mlp.scenarios).reduce((sum, s) => sum + s.errors, 0) +
      (mlp.sanity?.ok ? 0 : 1) +
      (mlp.answersAfterLoad ? 0 : 1) +
      mlp.notes.length
    : NaN;
  target(
    'mlp errors (non-2xx / non-OK + socket errors + failed runs, all scenarios) = 0',
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
  if (process.env.BENCH_MLP_WARN === '0') servers = servers.filter((s) => s.name !== 'mlp-warn');
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
    pinning: 'servers taskset -c 0; wrk, ghz and this script taskset -c 1',
    ghz: process.env.BENCH_GHZ_VERSION ?? 'unknown',
    host: HOST,
    payloads: {
      predict: predictBody,
      batch: batchBody,
      batchRows,
      v2: { mlp: v2Body('mlp'), mlserver: v2Body('mlserver') },
      grpc: { mlp: grpcBody('mlp'), mlserver: grpcBody('mlserver') },
      v2Expected,
    },
    mlserverPython: fs.existsSync(path.join(cache, 'mlserver-venv', 'freeze.txt'))
      ? fs
          .readFileSync(path.join(cache, 'mlserver-venv', 'freeze.txt'), 'utf8')
          .trim()
          .split('\n')
      : [],
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
