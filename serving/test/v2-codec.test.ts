/** The binary tensor codec (v2/binary-tensors.ts) and the 405 route matcher (errors.ts), without a server. */
import { describe, expect, it } from 'vitest';
import { allowedMethodsOf, ServingError } from '../src/errors.js';
import { bytesElements, decodeRawTensor, splitInferBody } from '../src/v2/binary-tensors.js';

describe('decodeRawTensor', () => {
  it('reads every numeric datatype little-endian into float32', () => {
    const fp16 = Buffer.from(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001]).buffer);
    const out = new Float32Array(4);
    decodeRawTensor('FP16', fp16, 4, out, 'x');
    expect(Array.from(out)).toEqual([1, -2, Math.fround(0.333251953125), Math.fround(2 ** -24)]);
    const ints = Buffer.alloc(16);
    ints.writeBigInt64LE(-5n, 0);
    ints.writeBigUInt64LE(7n, 8);
    decodeRawTensor('INT64', ints, 2, out, 'x');
    expect(out[0]).toBe(-5);
    decodeRawTensor('UINT64', ints.subarray(8), 1, out, 'x');
    expect(out[0]).toBe(7);
    decodeRawTensor('INT8', Buffer.from([0xff, 0x7f]), 2, out, 'x');
    expect([out[0], out[1]]).toEqual([-1, 127]);
  });

  it('rejects infinities, NaN and values float32 cannot hold, naming the element', () => {
    const out = new Float32Array(2);
    const inf = Buffer.from(new Uint16Array([0x3c00, 0x7c00]).buffer);
    expect(() => decodeRawTensor('FP16', inf, 2, out, 'inputs[0].contents')).toThrow(
      /^inputs\[0\]\.contents\[1\]: expected a finite number, got Infinity/,
    );
    const big = Buffer.from(new Float64Array([1, -1e300]).buffer);
    expect(() => decodeRawTensor('FP64', big, 2, out, 'f')).toThrow(/^f\[1\]: -1e\+300 is outside the float32 range/);
  });
});

describe('splitInferBody', () => {
  it('splits at Inference-Header-Content-Length, or reads the whole body as JSON without it', () => {
    const body = Buffer.concat([Buffer.from('{"a":1}'), Buffer.from([1, 2, 3])]);
    const { header, binary } = splitInferBody(body, '7');
    expect(header).toEqual({ a: 1 });
    expect(Array.from(binary!)).toEqual([1, 2, 3]);
    expect(splitInferBody(Buffer.from('{"a":2}'), undefined)).toEqual({ header: { a: 2 }, binary: undefined });
  });

  it.each(['0', '-1', '1.5', 'x', '11', ''])('refuses a header length of %j with a 400', (length) => {
    const error = (() => {
      try {
        splitInferBody(Buffer.from('{"a":1}xyz'), length);
      } catch (caught) {
        return caught;
      }
    })() as ServingError;
    expect(error).toBeInstanceOf(ServingError);
    expect(error.status).toBe(400);
  });
});

it('bytesElements writes each element as a 4-byte little-endian length and its UTF-8 bytes', () => {
  expect(Array.from(bytesElements(['a', 'é']))).toEqual([1, 0, 0, 0, 0x61, 2, 0, 0, 0, 0xc3, 0xa9]);
});

it('allowedMethodsOf matches route patterns segment by segment, and adds HEAD to GET', () => {
  const allowed = allowedMethodsOf([
    { method: 'ALL', path: '/*' },
    { method: 'GET', path: '/v2/models/:name' },
    { method: 'POST', path: '/v2/models/:name/infer' },
    { method: 'GET', path: '/ui/page.js' },
  ]);
  expect(allowed('/v2/models/fraud')).toEqual(['GET', 'HEAD']);
  expect(allowed('/v2/models/fraud/infer')).toEqual(['POST']);
  expect(allowed('/v2/models/a/b/infer')).toEqual([]);
  expect(allowed('/ui/pageXjs')).toEqual([]);
  expect(allowed('/nowhere')).toEqual([]);
});
