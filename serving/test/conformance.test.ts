/**
 * The serving app against the Open Inference Protocol's own clients and an OpenAPI fuzzer, from PyPI: tritonclient's
 * HTTP client (JSON and binary tensor data, binary_data_output, requested outputs) and gRPC client (raw contents),
 * and schemathesis `--checks all` over /openapi.json. All run against dist/serving/server.js, the bundle every
 * service image runs, with GRPC_PORT set. The Python side is test/conformance/*.py in the venv that
 * test/bench/python-clients.sh makes (bench component pythonClients).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench } from '../../test/support/bench.js';
import { FIXTURE_MODEL_DIR } from './serving-harness.js';

type Json = Record<string, any>;

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CONFORMANCE = path.join(ROOT, 'test', 'conformance');
const METADATA = JSON.parse(readFileSync(path.join(FIXTURE_MODEL_DIR, 'metadata.json'), 'utf8')) as {
  model_name: string;
  model_version: string;
};
/** scikit-learn's P(fraud) for the clients' two rows (serving/test/http-endpoints.test.ts: FEATURES and LOW). */
const SKLEARN_P1 = [0.5314826369285583, 0.012354973703622818];

let server: ChildProcess | undefined;
let httpAddress = '';
let grpcAddress = '';

/** Starts the bundle on free ports and resolves once the model is ready. */
async function startBundledServer(): Promise<void> {
  const bundle = process.env.MLP_CONFORMANCE_SERVER ?? path.join(ROOT, 'dist', 'serving', 'server.js');
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH, MODEL_DIR: FIXTURE_MODEL_DIR, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  server = child;
  for await (const line of createInterface({ input: child.stdout! })) {
    const entry = JSON.parse(line) as Json;
    if (entry.msg === 'listening') httpAddress = `127.0.0.1:${entry.port}`;
    if (entry.msg === 'grpc listening') grpcAddress = `127.0.0.1:${entry.port}`;
    if (entry.msg === 'model ready') break;
  }
  child.stdout!.resume();
  if (httpAddress === '' || grpcAddress === '') throw new Error(`${bundle} exited before it was ready (run node scripts/build.mjs first)`);
}

function runPython(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const python = benchStatus().pythonClients.python!;
  return new Promise((resolve) => {
    execFile(
      python,
      args,
      { cwd: CONFORMANCE, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

/** The cases a client script printed, by name. */
async function clientCases(script: string, address: string): Promise<Map<string, Json>> {
  const { code, stdout, stderr } = await runPython([script, address, METADATA.model_name]);
  expect(code, stderr).toBe(0);
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Json)
      .map((entry) => [entry.case as string, entry]),
  );
}

function expectPrediction(entry: Json | undefined, labels: number[], outputs = ['label', 'probabilities']): void {
  expect(entry, 'case missing').toBeDefined();
  expect(entry!.ok, JSON.stringify(entry)).toBe(true);
  expect(entry!.model_name).toBe(METADATA.model_name);
  expect(Object.keys(entry!.outputs)).toEqual(outputs);
  if (outputs.includes('label')) expect(entry!.outputs.label).toMatchObject({ datatype: 'INT64', shape: [2], data: labels });
  if (outputs.includes('probabilities')) {
    const { datatype, shape, data } = entry!.outputs.probabilities as { datatype: string; shape: number[]; data: number[][] };
    expect({ datatype, shape }).toEqual({ datatype: 'FP32', shape: [2, 2] });
    if (labels[0] === 1) {
      // FP16 inputs round the features, so the model sees slightly different rows.
      expect(data[0]![1]).toBeCloseTo(SKLEARN_P1[0]!, 5);
      expect(data[1]![1]).toBeCloseTo(SKLEARN_P1[1]!, 5);
    }
  }
}

describeWithBench(['pythonClients'], 'Open Inference Protocol clients and schemathesis', () => {
  beforeAll(startBundledServer, 60_000);
  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('tritonclient HTTP: health, metadata, and infer with JSON and binary tensors of FP32, FP64 and INT64', async () => {
    const cases = await clientCases('tritonclient_http.py', httpAddress);
    for (const probe of ['live', 'ready', 'model_ready']) expect(cases.get(probe)).toMatchObject({ ok: true, value: true });
    expect(cases.get('server_metadata')?.value.extensions).toContain('binary_tensor_data');
    expect(cases.get('model_metadata')?.value).toMatchObject({
      name: METADATA.model_name,
      versions: [METADATA.model_version],
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 20] }],
    });
    for (const datatype of ['FP32', 'FP64', 'INT64']) {
      // The INT64 rows are the features truncated to integers: the model sees [0, …] and [-2, 0, …].
      const labels = datatype === 'INT64' ? [0, 0] : [1, 0];
      expectPrediction(cases.get(`${datatype} json`), labels);
      expectPrediction(cases.get(`${datatype} binary`), labels);
      // tritonclient asks for binary_data_output when it names no outputs; JSON outputs when it names them so.
      expect(cases.get(`${datatype} json`)?.outputs.label.binary).toBe(false);
      expect(cases.get(`${datatype} binary`)?.outputs.label.binary).toBe(true);
      expect(cases.get(`${datatype} binary`)?.outputs.probabilities.binary).toBe(true);
    }
    expectPrediction(cases.get('binary in, json out'), [1, 0]);
    expect(cases.get('binary in, json out')?.outputs.probabilities.binary).toBe(false);
    expectPrediction(cases.get('json in, binary out'), [1, 0], ['probabilities', 'label']);
    expect(cases.get('json in, binary out')?.outputs.label.binary).toBe(true);
    expectPrediction(cases.get('only probabilities'), [1, 0], ['probabilities']);
    expectPrediction(cases.get('request id'), [1, 0], ['label']);
    expect(cases.get('request id')?.id).toBe('req-7');
    // tritonclient's request_compression_algorithm: the body arrives gzip- or deflate-encoded.
    expectPrediction(cases.get('gzip request'), [1, 0]);
    expectPrediction(cases.get('deflate request'), [1, 0], ['label']);
    // Errors reach the client as the protocol's {"error": message}, which tritonclient raises with the message.
    expect(cases.get('unknown model')).toMatchObject({
      ok: false,
      status: '404',
      error: expect.stringContaining('no model named "churn"'),
    });
    expect(cases.get('wrong shape')).toMatchObject({ ok: false, status: '422', error: expect.stringContaining('inputs[0].shape') });
  });

  it('tritonclient gRPC: ServerLive/Ready, ServerMetadata, ModelReady/Metadata and ModelInfer with raw_input_contents', async () => {
    const cases = await clientCases('tritonclient_grpc.py', grpcAddress);
    for (const probe of ['live', 'ready', 'model_ready']) expect(cases.get(probe)).toMatchObject({ ok: true, value: true });
    expect(cases.get('server_metadata')?.value.extensions).toContain('binary_tensor_data');
    expect(cases.get('model_metadata')?.value).toMatchObject({ name: METADATA.model_name, versions: [METADATA.model_version] });
    for (const datatype of ['FP32', 'FP64', 'FP16']) expectPrediction(cases.get(`${datatype} raw`), [1, 0]);
    expectPrediction(cases.get('INT64 raw'), [0, 0]);
    expectPrediction(cases.get('only probabilities'), [1, 0], ['probabilities']);
    expect(cases.get('request id')).toMatchObject({ ok: true, id: 'req-7' });
    expect(cases.get('unknown model')).toMatchObject({ ok: false, status: 'StatusCode.NOT_FOUND' });
    expect(cases.get('wrong shape')).toMatchObject({
      ok: false,
      status: 'StatusCode.INVALID_ARGUMENT',
      error: expect.stringContaining('inputs[0].shape'),
    });
  });

  it('schemathesis --checks all over /openapi.json finds nothing', async () => {
    const schemathesis = path.join(path.dirname(benchStatus().pythonClients.python!), 'schemathesis');
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        schemathesis,
        [
          '--config-file',
          'schemathesis.toml',
          'run',
          `http://${httpAddress}/openapi.json`,
          '--checks',
          'all',
          '--no-color',
          '--seed',
          '20240601',
        ],
        {
          cwd: CONFORMANCE,
          env: { ...process.env, MLP_MODEL_NAME: METADATA.model_name, MLP_MODEL_VERSION: METADATA.model_version },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 600_000,
        },
        (error, out, err) =>
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout: out, stderr: err }),
      );
    });
    const summary = stdout.slice(stdout.lastIndexOf('SUMMARY'));
    expect(code, `${stdout.slice(-6000)}\n${stderr}`).toBe(0);
    expect(summary).toMatch(/\d+ generated, \d+ passed/);
    expect(summary).toContain('No issues found');
    // The server kept serving through the fuzzing.
    expect((await fetch(`http://${httpAddress}/v2/health/ready`)).status).toBe(200);
  }, 600_000);
});
