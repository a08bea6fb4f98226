/**
 * The Open Inference Protocol's gRPC service (GRPC_PORT) with @grpc/grpc-js's own client, in process: the typed
 * contents tritonclient never sends (fp32_contents, int64_contents), raw contents, and each failure's status code.
 * tritonclient's gRPC client runs against the bundle in serving/test/conformance.test.ts.
 */
import * as grpc from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/start-server.js';
import { PREDICT_V2_DESCRIPTOR_SET } from '../src/v2/grpc-descriptor.js';
import { FEATURES, startFixtureServer, type Json } from './serving-harness.js';

const LOW = [-2, ...FEATURES.slice(1).map(() => 0)];
const SKLEARN_P1 = [0.5314826369285583, 0.012354973703622818];

type Call = (request: Json) => Promise<Json>;
let server: RunningServer;
let client: grpc.Client & Record<string, (request: Json, callback: (error: grpc.ServiceError | null, response: Json) => void) => void>;
const call =
  (method: string): Call =>
  (request) =>
    new Promise((resolve, reject) => client[method]!(request, (error, response) => (error ? reject(error) : resolve(response))));

beforeAll(async () => {
  server = await startFixtureServer({ GRPC_PORT: '0' });
  const definition = loadFileDescriptorSetFromBuffer(PREDICT_V2_DESCRIPTOR_SET, { longs: Number, defaults: true });
  const Service = (grpc.loadPackageDefinition(definition) as any).inference.GRPCInferenceService as grpc.ServiceClientConstructor;
  client = new Service(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure()) as typeof client;
});
afterAll(async () => {
  client?.close();
  await server?.shutdown('test done');
});

const tensor = (datatype: string, rows: number, extra: Json) => ({ name: 'input', datatype, shape: [rows, 20], ...extra });

describe('gRPC GRPCInferenceService', () => {
  it('answers liveness, readiness and metadata', async () => {
    expect(await call('ServerLive')({})).toEqual({ live: true });
    expect(await call('ServerReady')({})).toEqual({ ready: true });
    expect(await call('ModelReady')({ name: 'fraud' })).toEqual({ ready: true });
    expect(await call('ServerMetadata')({})).toMatchObject({ name: 'mlp-serving', extensions: ['binary_tensor_data'] });
    expect(await call('ModelMetadata')({ name: 'fraud', version: '20240601T000000Z' })).toMatchObject({
      name: 'fraud',
      versions: ['20240601T000000Z'],
      platform: 'onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 20] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
  });

  it.each([
    ['fp32Contents', tensor('FP32', 2, { contents: { fp32Contents: [...FEATURES, ...LOW] } }), [] as Buffer[]],
    ['fp64Contents', tensor('FP64', 2, { contents: { fp64Contents: [...FEATURES, ...LOW] } }), [] as Buffer[]],
    ['raw_input_contents', tensor('FP32', 2, {}), [Buffer.from(new Float32Array([...FEATURES, ...LOW]).buffer)]],
  ])('infers from %s into raw_output_contents', async (_name, input, raw) => {
    const response = await call('ModelInfer')({ modelName: 'fraud', id: 'g-1', inputs: [input], rawInputContents: raw });
    expect(response).toMatchObject({
      modelName: 'fraud',
      modelVersion: '20240601T000000Z',
      id: 'g-1',
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [2] },
        { name: 'probabilities', datatype: 'FP32', shape: [2, 2] },
      ],
    });
    const [labels, probabilities] = response.rawOutputContents as Buffer[];
    expect([labels!.readBigInt64LE(0), labels!.readBigInt64LE(8)]).toEqual([1n, 0n]);
    expect(probabilities!.readFloatLE(4)).toBeCloseTo(SKLEARN_P1[0]!, 5);
    expect(probabilities!.readFloatLE(12)).toBeCloseTo(SKLEARN_P1[1]!, 5);
  });

  it('answers only the outputs asked for, from int64 contents', async () => {
    const response = await call('ModelInfer')({
      modelName: 'fraud',
      inputs: [tensor('INT64', 1, { contents: { int64Contents: LOW } })],
      outputs: [{ name: 'label' }],
    });
    expect(response.outputs).toMatchObject([{ name: 'label', datatype: 'INT64', shape: [1] }]);
    expect((response.rawOutputContents as Buffer[]).map((b) => b.readBigInt64LE(0))).toEqual([0n]);
  });

  it.each<[string, () => Promise<Json>, grpc.status, RegExp]>([
    ['an unknown model', () => call('ModelMetadata')({ name: 'churn' }), grpc.status.NOT_FOUND, /no model named "churn"/],
    ['an unknown version', () => call('ModelReady')({ name: 'fraud', version: '7' }), grpc.status.NOT_FOUND, /no version "7"/],
    [
      'a wrong shape',
      () =>
        call('ModelInfer')({
          modelName: 'fraud',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32Contents: [1, 2, 3] } }],
        }),
      grpc.status.INVALID_ARGUMENT,
      /^inputs\[0\]\.shape/,
    ],
    [
      'too few raw bytes',
      () => call('ModelInfer')({ modelName: 'fraud', inputs: [tensor('FP32', 1, {})], rawInputContents: [Buffer.alloc(8)] }),
      grpc.status.INVALID_ARGUMENT,
      /^inputs\[0\]\.contents: expected 80 bytes/,
    ],
    [
      'raw contents for two inputs',
      () =>
        call('ModelInfer')({ modelName: 'fraud', inputs: [tensor('FP32', 1, {})], rawInputContents: [Buffer.alloc(80), Buffer.alloc(80)] }),
      grpc.status.INVALID_ARGUMENT,
      /^raw_input_contents: expected one entry per input/,
    ],
    [
      'an unknown output',
      () =>
        call('ModelInfer')({
          modelName: 'fraud',
          inputs: [tensor('FP32', 1, { contents: { fp32Contents: FEATURES } })],
          outputs: [{ name: 'score' }],
        }),
      grpc.status.INVALID_ARGUMENT,
      /^outputs\[0\]\.name/,
    ],
  ])('%s is a failed call with the reason', async (_name, send, code, details) => {
    const error = (await send().then(
      () => undefined,
      (failure: unknown) => failure,
    )) as grpc.ServiceError | undefined;
    expect(error?.code).toBe(code);
    expect(error?.details).toMatch(details);
    expect(await call('ServerReady')({})).toEqual({ ready: true });
  });
});
