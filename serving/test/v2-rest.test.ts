/**
 * The Open Inference Protocol's REST routes over real HTTP, as its clients use them without being one: the binary
 * tensor data extension built by hand, a body without Content-Type, the protocol's error shape, and 405 with Allow
 * for a method a known path does not answer. tritonclient itself runs in serving/test/conformance.test.ts.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/start-server.js';
import { FEATURES, startFixtureServer, type Json } from './serving-harness.js';

const LOW = [-2, ...FEATURES.slice(1).map(() => 0)];
/** scikit-learn's P(fraud) for FEATURES and LOW. */
const SKLEARN_P1 = [0.5314826369285583, 0.012354973703622818];

let server: RunningServer;
let base: string;
beforeAll(async () => {
  server = await startFixtureServer();
  base = server.url;
});
afterAll(async () => {
  await server?.shutdown('test done');
});

/** A binary-extension body: the JSON header, then `raw`. */
function binaryBody(header: object, raw: Buffer): { body: Buffer; headerLength: string } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, raw]), headerLength: String(json.length) };
}

function rawRows(datatype: 'FP32' | 'FP64' | 'INT64', rows: number[][]): Buffer {
  const values = rows.flat();
  const size = datatype === 'FP32' ? 4 : 8;
  const bytes = Buffer.alloc(values.length * size);
  values.forEach((value, i) => {
    if (datatype === 'FP32') bytes.writeFloatLE(value, i * 4);
    else if (datatype === 'FP64') bytes.writeDoubleLE(value, i * 8);
    else bytes.writeBigInt64LE(BigInt(Math.trunc(value)), i * 8);
  });
  return bytes;
}

async function inferBinary(
  datatype: 'FP32' | 'FP64' | 'INT64',
  rows: number[][],
  extra: Json = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const raw = rawRows(datatype, rows);
  const { body, headerLength } = binaryBody(
    { inputs: [{ name: 'input', shape: [rows.length, 20], datatype, parameters: { binary_data_size: raw.length } }], ...extra },
    raw,
  );
  // No Content-Type, as tritonclient sends it.
  const res = await fetch(`${base}/v2/models/fraud/infer`, {
    method: 'POST',
    headers: { 'inference-header-content-length': headerLength },
    body,
  });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Splits a binary answer into its JSON header and each output's bytes. */
function splitAnswer(headers: Headers, bytes: Buffer): { header: Json; tensors: Map<string, Buffer> } {
  const length = Number(headers.get('inference-header-content-length'));
  const header = JSON.parse(bytes.subarray(0, length).toString('utf8')) as Json;
  const tensors = new Map<string, Buffer>();
  let offset = length;
  for (const output of header.outputs as Json[]) {
    const size = output.parameters?.binary_data_size as number | undefined;
    if (size === undefined) continue;
    tensors.set(output.name as string, bytes.subarray(offset, offset + size));
    offset += size;
  }
  expect(offset).toBe(bytes.length);
  return { header, tensors };
}

describe('binary tensor data extension', () => {
  it.each(['FP32', 'FP64'] as const)('takes %s tensors as raw bytes and answers binary_data_output in bytes', async (datatype) => {
    const { status, headers, bytes } = await inferBinary(datatype, [FEATURES, LOW], {
      id: 'b-1',
      parameters: { binary_data_output: true },
    });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/octet-stream');
    const { header, tensors } = splitAnswer(headers, bytes);
    expect(header).toMatchObject({
      model_name: 'fraud',
      id: 'b-1',
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [2], parameters: { binary_data_size: 16 } },
        { name: 'probabilities', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } },
      ],
    });
    const labels = tensors.get('label')!;
    expect([labels.readBigInt64LE(0), labels.readBigInt64LE(8)]).toEqual([1n, 0n]);
    const probabilities = tensors.get('probabilities')!;
    expect(probabilities.readFloatLE(4)).toBeCloseTo(SKLEARN_P1[0]!, 5);
    expect(probabilities.readFloatLE(12)).toBeCloseTo(SKLEARN_P1[1]!, 5);
  });

  it('mixes binary and JSON outputs as each asks, in the order asked', async () => {
    const { status, headers, bytes } = await inferBinary('INT64', [LOW], {
      outputs: [{ name: 'probabilities', parameters: { binary_data: true } }, { name: 'label' }],
    });
    expect(status).toBe(200);
    const { header, tensors } = splitAnswer(headers, bytes);
    expect(header.outputs).toEqual([
      { name: 'probabilities', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } },
      { name: 'label', datatype: 'INT64', shape: [1], data: [0] },
    ]);
    expect(tensors.get('probabilities')?.length).toBe(8);
  });

  it('answers plain JSON when no output is binary, whatever the input was', async () => {
    const { status, headers, bytes } = await inferBinary('FP32', [FEATURES]);
    expect(status).toBe(200);
    expect(headers.get('inference-header-content-length')).toBeNull();
    expect(JSON.parse(bytes.toString('utf8')).outputs[0]).toEqual({ name: 'label', datatype: 'INT64', shape: [1], data: [1] });
  });
});

describe('bad input on the v2 routes: the protocol\'s {"error": message}, and the server keeps serving', () => {
  const post = async (body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${base}/v2/models/fraud/infer`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const tensor = (parameters: Json) => ({ inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', parameters }] });
  const raw = rawRows('FP32', [FEATURES]);

  it.each<[string, () => Promise<{ status: number; body: Json }>, number, RegExp]>([
    [
      'a header length that is not a number',
      () => post(binaryBody(tensor({ binary_data_size: 80 }), raw).body, { 'inference-header-content-length': 'abc' }),
      400,
      /Inference-Header-Content-Length/,
    ],
    [
      'a header length past the body',
      () => post(binaryBody(tensor({ binary_data_size: 80 }), raw).body, { 'inference-header-content-length': '100000' }),
      400,
      /Inference-Header-Content-Length/,
    ],
    [
      'a header that is not JSON',
      () => post(Buffer.concat([Buffer.from('{"inputs":'), raw]), { 'inference-header-content-length': '10' }),
      400,
      /not valid JSON/,
    ],
    [
      'binary_data_size that is not the bytes sent',
      () => {
        const b = binaryBody(tensor({ binary_data_size: 40 }), raw);
        return post(b.body, { 'inference-header-content-length': b.headerLength });
      },
      422,
      /^inputs\[0\]\.parameters\.binary_data_size: is 40, but 80 bytes/,
    ],
    [
      'bytes after the header that no tensor claims',
      () => {
        const b = binaryBody({ inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', data: FEATURES }] }, raw);
        return post(b.body, { 'inference-header-content-length': b.headerLength });
      },
      422,
      /binary_data_size: missing, but 80 bytes/,
    ],
    [
      'too few bytes for the shape',
      () => {
        const short = raw.subarray(0, 40);
        const b = binaryBody(tensor({ binary_data_size: 40 }), short);
        return post(b.body, { 'inference-header-content-length': b.headerLength });
      },
      422,
      /^inputs\[0\]\.contents: expected 80 bytes/,
    ],
    [
      'a NaN in binary FP32',
      () => {
        const nan = Buffer.from(raw);
        nan.writeFloatLE(Number.NaN, 8);
        const b = binaryBody(tensor({ binary_data_size: 80 }), nan);
        return post(b.body, { 'inference-header-content-length': b.headerLength });
      },
      422,
      /^inputs\[0\]\.contents\[2\]: expected a finite number/,
    ],
    [
      'an FP64 beyond float32',
      () => {
        const big = rawRows('FP64', [[1e39, ...FEATURES.slice(1)]]);
        const b = binaryBody({ inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP64', parameters: { binary_data_size: 160 } }] }, big);
        return post(b.body, { 'inference-header-content-length': b.headerLength });
      },
      422,
      /^inputs\[0\]\.contents\[0\]: 1e\+39 is outside the float32 range/,
    ],
    [
      'a JSON number beyond float32',
      () =>
        post(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP64', data: [3.5e38, ...FEATURES.slice(1)] }] }), {
          'content-type': 'application/json',
        }),
      422,
      /^inputs\[0\]\.data\[0\]: 3\.5e\+38 is outside the float32 range/,
    ],
    [
      'the classification extension',
      () =>
        post(
          JSON.stringify({
            ...tensor({}),
            inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', data: FEATURES }],
            outputs: [{ name: 'label', parameters: { classification: 2 } }],
          }),
          { 'content-type': 'application/json' },
        ),
      422,
      /classification: not supported/,
    ],
    [
      'an output asked for twice',
      () =>
        post(
          JSON.stringify({
            inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', data: FEATURES }],
            outputs: [{ name: 'label' }, { name: 'label' }],
          }),
          { 'content-type': 'application/json' },
        ),
      422,
      /asked for twice/,
    ],
    [
      'a declared non-JSON Content-Type without the extension',
      () => post(JSON.stringify(tensor({})), { 'content-type': 'text/plain' }),
      415,
      /expected Content-Type: application\/json/,
    ],
  ])('%s', async (_name, send, status, message) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatch(message);
    const good = await post(Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', data: FEATURES }] })));
    expect(good.status).toBe(200);
  });
});

describe('Content-Encoding on v2 infer', () => {
  const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', data: FEATURES }] }));
  const send = async (encoded: Buffer, encoding: string) => {
    const res = await fetch(`${base}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-encoding': encoding }, body: encoded });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it.each([
    ['gzip', gzipSync(body)],
    ['deflate', deflateSync(body)],
  ])('inflates %s', async (encoding, encoded) => {
    const res = await send(encoded, encoding);
    expect(res.status).toBe(200);
    expect(res.body.outputs[0]).toEqual({ name: 'label', datatype: 'INT64', shape: [1], data: [1] });
  });

  it.each<[string, Buffer, string, number, RegExp]>([
    ['a body that inflates past MAX_BODY_BYTES', gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)), 'gzip', 413, /exceeds/],
    ['a body that is not gzip', Buffer.from('plain'), 'gzip', 400, /not valid gzip/],
    ['an encoding it does not know', body, 'br', 415, /Content-Encoding "br" is not supported/],
  ])('refuses %s', async (_name, encoded, encoding, status, message) => {
    const res = await send(encoded, encoding);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(message);
  });
});

describe('a body without Content-Type', () => {
  it('is read as JSON on every JSON route', async () => {
    // A Buffer body makes fetch send no Content-Type at all.
    const send = (route: string, body: unknown) => fetch(`${base}${route}`, { method: 'POST', body: Buffer.from(JSON.stringify(body)) });
    const predict = await send('/predict', { features: FEATURES });
    expect(predict.status).toBe(200);
    expect(((await predict.json()) as Json).prediction).toBe(1);
    expect((await send('/batch_predict', { instances: [] })).status).toBe(422);
    const infer = await send('/v2/models/fraud/infer', { inputs: [{ name: 'input', shape: [1, 20], datatype: 'FP32', data: FEATURES }] });
    expect(infer.status).toBe(200);
  });

  it('that is not JSON is a 400 saying so', async () => {
    const res = await fetch(`${base}/predict`, { method: 'POST', body: Buffer.from('features=1') });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error.message).toMatch(/^the request has no Content-Type and its body is not valid JSON/);
  });
});

describe('methods a known path does not answer', () => {
  it.each<[string, string, number, string | null, 'seeds' | 'v2']>([
    ['GET', '/predict', 405, 'POST', 'seeds'],
    ['HEAD', '/predict', 405, 'POST', 'seeds'],
    ['PUT', '/health', 405, 'GET, HEAD', 'seeds'],
    ['DELETE', '/v2/models/fraud', 405, 'GET, HEAD', 'v2'],
    ['GET', '/v2/models/fraud/versions/1/infer', 405, 'POST', 'v2'],
    ['PATCH', '/v2/health/live', 405, 'GET, HEAD', 'v2'],
    ['GET', '/v2/models/fraud/explain', 404, null, 'v2'],
    ['POST', '/nowhere', 404, null, 'seeds'],
  ])('%s %s: %i', async (method, route, status, allow, shape) => {
    const res = await fetch(`${base}${route}`, { method });
    expect(res.status).toBe(status);
    expect(res.headers.get('allow')).toBe(allow);
    if (method === 'HEAD') return;
    const body = (await res.json()) as Json;
    if (shape === 'v2') expect(typeof body.error).toBe('string');
    else expect(body.error.code).toBe(status === 405 ? 'method_not_allowed' : 'not_found');
  });
});
