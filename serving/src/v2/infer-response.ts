/**
 * The outputs of an Open Inference Protocol answer: `label` (INT64 for integer classes, FP64 for other numbers,
 * BYTES for strings) and `probabilities` (FP32 `[rows, classes]`), as JSON data or as raw bytes after the JSON
 * header (binary tensor extension), and the same bytes for gRPC's raw_output_contents.
 */
import type { Prediction } from '../backend.js';
import type { ClassLabel, ModelMetadata } from '../model-metadata.js';
import { bytesElements, float32Bytes, float64Bytes, HEADER_LENGTH, int64Bytes } from './binary-tensors.js';
import type { RequestedOutput, V2OutputName } from './infer-request.js';

export type LabelDatatype = 'INT64' | 'FP64' | 'BYTES';

export function labelDatatype(classes: readonly ClassLabel[]): LabelDatatype {
  if (classes.every((label) => typeof label === 'number')) return classes.every((label) => Number.isSafeInteger(label)) ? 'INT64' : 'FP64';
  return 'BYTES';
}

export interface OutputTensor {
  name: V2OutputName;
  datatype: string;
  shape: number[];
  /** The values, row-major. */
  data: ClassLabel[] | Float32Array;
}

export function outputTensors(
  outputs: readonly RequestedOutput[],
  prediction: Prediction,
  metadata: ModelMetadata,
  rowCount: number,
): OutputTensor[] {
  return outputs.map(({ name }) =>
    name === 'label'
      ? { name, datatype: labelDatatype(metadata.classes), shape: [rowCount], data: prediction.labels }
      : { name, datatype: 'FP32', shape: [rowCount, metadata.classes.length], data: prediction.probabilities },
  );
}

/** An output's raw little-endian bytes. */
export function rawOutput(tensor: OutputTensor): Buffer {
  if (tensor.data instanceof Float32Array) return float32Bytes(tensor.data);
  if (tensor.datatype === 'INT64') return int64Bytes(tensor.data as number[]);
  if (tensor.datatype === 'FP64') return float64Bytes(tensor.data as number[]);
  return bytesElements(tensor.data.map(String));
}

/** A REST answer: plain JSON, or the JSON header and the binary outputs' bytes when any output is binary. */
export function restInferAnswer(
  head: { model_name: string; model_version: string; id?: string },
  tensors: readonly OutputTensor[],
  requested: readonly RequestedOutput[],
): { json: object } | { body: Uint8Array<ArrayBuffer>; headers: Record<string, string> } {
  const binaries: Buffer[] = [];
  const outputs = tensors.map((tensor, i) => {
    const { name, datatype, shape } = tensor;
    if (!requested[i]?.binary)
      return { name, datatype, shape, data: tensor.data instanceof Float32Array ? Array.from(tensor.data) : tensor.data };
    const bytes = rawOutput(tensor);
    binaries.push(bytes);
    return { name, datatype, shape, parameters: { binary_data_size: bytes.length } };
  });
  const json = { ...head, outputs };
  if (binaries.length === 0) return { json };
  const header = Buffer.from(JSON.stringify(json), 'utf8');
  return {
    body: Buffer.concat([header, ...binaries]) as Uint8Array<ArrayBuffer>,
    headers: { 'Content-Type': 'application/octet-stream', [HEADER_LENGTH]: String(header.length) },
  };
}
