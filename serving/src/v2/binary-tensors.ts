/**
 * The Open Inference Protocol's binary tensor data extension (Triton's `binary_tensor_data`, which tritonclient
 * uses by default): a request or response body is a JSON header of `Inference-Header-Content-Length` bytes, then
 * each binary tensor's raw bytes in tensor order, little-endian and row-major, with no padding. A tensor sent that
 * way has `parameters.binary_data_size` instead of `data`. BYTES elements are each a 4-byte little-endian length
 * and that many bytes. gRPC's `raw_input_contents` / `raw_output_contents` hold the same bytes per tensor.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { invalidField, ServingError } from '../errors.js';
import { parseJsonText, payloadTooLarge } from '../json-body.js';

export const HEADER_LENGTH = 'Inference-Header-Content-Length';

/** Largest finite float32: bigger values would silently become Infinity in the model's input tensor. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** The numeric datatypes the model's FP32 input takes, with their element size in bytes. */
export const NUMERIC_DATATYPES: Readonly<Record<string, number>> = {
  FP16: 2,
  FP32: 4,
  FP64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
};

/**
 * The body as sent before its Content-Encoding (tritonclient's `request_compression_algorithm`: gzip or deflate),
 * inflated to at most `maxBytes`, as MAX_BODY_BYTES bounds an uncompressed one.
 */
export function decodeContentEncoding(body: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
  const name = encoding?.trim().toLowerCase();
  if (name === undefined || name === '' || name === 'identity') return body;
  const inflate = name === 'gzip' || name === 'x-gzip' ? gunzipSync : name === 'deflate' ? inflateSync : undefined;
  if (inflate === undefined) {
    throw new ServingError(
      415,
      'unsupported_media_type',
      `Content-Encoding ${JSON.stringify(encoding)} is not supported; send gzip, deflate or none`,
    );
  }
  try {
    return inflate(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if (error instanceof RangeError) throw payloadTooLarge(maxBytes);
    throw new ServingError(400, 'malformed_body', `the body is not valid ${name}: ${(error as Error).message}`);
  }
}

/** A v2 body split into its JSON header and the binary section after it (undefined without the extension). */
export function splitInferBody(body: Buffer, headerLength: string | undefined): { header: unknown; binary: Buffer | undefined } {
  if (headerLength === undefined) return { header: parseJsonText(body.toString('utf8')), binary: undefined };
  const length = /^\d{1,10}$/.test(headerLength.trim()) ? Number(headerLength) : Number.NaN;
  if (!(length >= 1 && length <= body.length)) {
    throw new ServingError(
      400,
      'malformed_body',
      `${HEADER_LENGTH} must be the byte length of the JSON header, from 1 to the body's ${body.length} bytes; got ${JSON.stringify(headerLength)}`,
    );
  }
  return { header: parseJsonText(body.subarray(0, length).toString('utf8')), binary: body.subarray(length) };
}

/**
 * Decodes `count` little-endian elements of `datatype` from `bytes` into `out` (the model's float32 rows),
 * rejecting NaN, infinities and values outside float32's range with a 422 naming `field[index]`.
 */
export function decodeRawTensor(datatype: string, bytes: Uint8Array, count: number, out: Float32Array, field: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = ELEMENT_READERS[datatype];
  if (read === undefined) throw invalidField(field, `cannot read ${datatype} as numbers`);
  for (let i = 0; i < count; i++) {
    const value = read(view, i);
    if (!(value >= -FLOAT32_MAX && value <= FLOAT32_MAX)) {
      throw invalidField(
        `${field}[${i}]`,
        Number.isFinite(value) ? `${value} is outside the float32 range` : `expected a finite number, got ${value}`,
      );
    }
    out[i] = value;
  }
}

const ELEMENT_READERS: Readonly<Record<string, (view: DataView, i: number) => number>> = {
  FP16: (view, i) => halfToNumber(view.getUint16(i * 2, true)),
  FP32: (view, i) => view.getFloat32(i * 4, true),
  FP64: (view, i) => view.getFloat64(i * 8, true),
  INT8: (view, i) => view.getInt8(i),
  INT16: (view, i) => view.getInt16(i * 2, true),
  INT32: (view, i) => view.getInt32(i * 4, true),
  INT64: (view, i) => Number(view.getBigInt64(i * 8, true)),
  UINT8: (view, i) => view.getUint8(i),
  UINT16: (view, i) => view.getUint16(i * 2, true),
  UINT32: (view, i) => view.getUint32(i * 4, true),
  UINT64: (view, i) => Number(view.getBigUint64(i * 8, true)),
};

/** IEEE 754 half precision to a number. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Raw little-endian bytes of an output tensor. */
export function float32Bytes(values: Float32Array): Buffer {
  const bytes = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i] as number, i * 4);
  return bytes;
}

export function float64Bytes(values: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i] as number, i * 8);
  return bytes;
}

export function int64Bytes(values: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeBigInt64LE(BigInt(values[i] as number), i * 8);
  return bytes;
}

/** BYTES elements: each a 4-byte little-endian length, then its UTF-8 bytes. */
export function bytesElements(values: readonly string[]): Buffer {
  const encoded = values.map((value) => Buffer.from(value, 'utf8'));
  const bytes = Buffer.allocUnsafe(encoded.reduce((size, element) => size + 4 + element.length, 0));
  let offset = 0;
  for (const element of encoded) {
    bytes.writeUInt32LE(element.length, offset);
    element.copy(bytes, offset + 4);
    offset += 4 + element.length;
  }
  return bytes;
}
