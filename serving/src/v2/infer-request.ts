/**
 * An Open Inference Protocol inference request, from the REST body (JSON, or JSON plus binary tensors) or from
 * gRPC's ModelInferRequest, turned into the model's row-major Float32Array and the outputs to answer with.
 * The model takes one tensor `[rows, features]` of any numeric datatype; it answers `label` and `probabilities`.
 */
import { invalidField, ServingError } from '../errors.js';
import { describe, isObject, toFloat32, type FeatureLayout } from '../request-parsing.js';
import { decodeRawTensor, HEADER_LENGTH, NUMERIC_DATATYPES } from './binary-tensors.js';

export const V2_OUTPUT_NAMES = ['label', 'probabilities'] as const;
export type V2OutputName = (typeof V2_OUTPUT_NAMES)[number];

export interface RequestedOutput {
  name: V2OutputName;
  /** Answer this output's data as raw bytes after the JSON header (binary tensor extension). */
  binary: boolean;
}

export interface V2Request {
  rows: Float32Array;
  rowCount: number;
  id: string | undefined;
  /** In the order asked for; every output when the request names none. */
  outputs: RequestedOutput[];
}

/** One input tensor as either protocol carries it: JSON `data` (flat or nested), or its raw bytes. */
export interface InputTensor {
  name: unknown;
  datatype: unknown;
  shape: unknown;
  data?: unknown;
  raw?: Uint8Array;
}

type Json = Record<string, unknown>;

const REQUEST_KEYS = new Set(['id', 'inputs', 'outputs', 'parameters']);
const INPUT_KEYS = new Set(['name', 'shape', 'datatype', 'data', 'parameters']);
const OUTPUT_KEYS = new Set(['name', 'parameters']);

/** The REST body: its JSON header and, with the binary tensor extension, the bytes after it. */
export function parseRestInferRequest(header: unknown, binary: Buffer | undefined, layout: FeatureLayout, inputName: string): V2Request {
  if (!isObject(header)) throw new ServingError(422, 'invalid_input', `expected a JSON object, got ${describe(header)}`);
  rejectUnknownKeys(header, REQUEST_KEYS, '');
  const { id, inputs, outputs, parameters } = header;
  if (id !== undefined && typeof id !== 'string') throw invalidField('id', `expected a string, got ${describe(id)}`);
  const binaryOutput = booleanParameter(parameters, 'binary_data_output', 'parameters') ?? false;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw invalidField('inputs', `expected an array with exactly one tensor named "${inputName}"`);
  }
  const input = inputs[0] as unknown;
  if (!isObject(input)) throw invalidField('inputs[0]', `expected an object, got ${describe(input)}`);
  rejectUnknownKeys(input, INPUT_KEYS, 'inputs[0].');
  const tensor: InputTensor = { name: input.name, datatype: input.datatype, shape: input.shape };
  const binarySize = input.parameters === undefined ? undefined : binaryDataSize(input.parameters);
  if (binarySize === undefined) {
    tensor.data = input.data;
  } else {
    if (input.data !== undefined) throw invalidField('inputs[0].data', 'give either data or parameters.binary_data_size, not both');
    if (binary === undefined) {
      throw invalidField('inputs[0].parameters.binary_data_size', `set, but the request has no ${HEADER_LENGTH} header`);
    }
    if (binarySize !== binary.length) {
      throw invalidField(
        'inputs[0].parameters.binary_data_size',
        `is ${binarySize}, but ${binary.length} bytes follow the JSON header; send exactly the one tensor's bytes`,
      );
    }
    tensor.raw = binary;
  }
  if (binary !== undefined && binary.length > 0 && tensor.raw === undefined) {
    throw invalidField('inputs[0].parameters.binary_data_size', `missing, but ${binary.length} bytes follow the JSON header`);
  }
  const { rows, rowCount } = tensorRows(tensor, layout, inputName, 'inputs[0]');
  return { rows, rowCount, id, outputs: requestedOutputs(outputs, binaryOutput) };
}

/** The model's rows from one input tensor; `field` names it in errors (`inputs[0]`). */
export function tensorRows(
  tensor: InputTensor,
  layout: FeatureLayout,
  inputName: string,
  field: string,
): { rows: Float32Array; rowCount: number } {
  if (tensor.name !== inputName) throw invalidField(`${field}.name`, `expected "${inputName}", got ${describe(tensor.name)}`);
  const { datatype, shape } = tensor;
  if (typeof datatype !== 'string' || NUMERIC_DATATYPES[datatype] === undefined) {
    throw invalidField(`${field}.datatype`, `expected a numeric datatype such as "FP32", got ${describe(datatype)}`);
  }
  const featureCount = layout.names.length;
  if (!Array.isArray(shape) || shape.length !== 2 || !Number.isInteger(shape[0]) || (shape[0] as number) < 1 || shape[1] !== featureCount) {
    throw invalidField(`${field}.shape`, `expected [rows, ${featureCount}] with rows ≥ 1, got ${JSON.stringify(shape) ?? 'nothing'}`);
  }
  const rowCount = shape[0] as number;
  const count = rowCount * featureCount;
  if (tensor.raw !== undefined) {
    const expected = count * (NUMERIC_DATATYPES[datatype] as number);
    if (tensor.raw.length !== expected) {
      throw invalidField(
        `${field}.contents`,
        `expected ${expected} bytes for ${datatype} [${rowCount}, ${featureCount}], got ${tensor.raw.length}`,
      );
    }
    const rows = new Float32Array(count);
    decodeRawTensor(datatype, tensor.raw, count, rows, `${field}.contents`);
    return { rows, rowCount };
  }
  return { rows: jsonRows(tensor.data, rowCount, featureCount, `${field}.data`), rowCount };
}

/** JSON data, flat row-major or nested `[[f0, f1, …], …]` as the protocol allows. */
function jsonRows(data: unknown, rowCount: number, featureCount: number, field: string): Float32Array {
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) throw invalidField(field, `expected an array, got ${describe(data)}`);
  const values = data as ArrayLike<unknown>;
  const rows = new Float32Array(rowCount * featureCount);
  if (values.length === rowCount * featureCount && !Array.isArray(values[0])) {
    for (let i = 0; i < values.length; i++) rows[i] = toFloat32(values[i], field, i);
  } else if (values.length === rowCount) {
    for (let r = 0; r < rowCount; r++) {
      const row = values[r] as unknown;
      if (!Array.isArray(row) || row.length !== featureCount) {
        throw invalidField(
          `${field}[${r}]`,
          `expected an array of ${featureCount} numbers, got ${Array.isArray(row) ? `${row.length} values` : describe(row)}`,
        );
      }
      for (let j = 0; j < featureCount; j++) rows[r * featureCount + j] = toFloat32(row[j], `${field}[${r}]`, j);
    }
  } else {
    throw invalidField(field, `expected ${rowCount * featureCount} values for shape [${rowCount}, ${featureCount}], got ${values.length}`);
  }
  return rows;
}

/**
 * The outputs asked for, each with whether it goes binary: its own `binary_data` parameter, else the request's
 * `binary_data_output`. No list means every output.
 */
export function requestedOutputs(outputs: unknown, binaryOutput: boolean): RequestedOutput[] {
  if (outputs === undefined) return V2_OUTPUT_NAMES.map((name) => ({ name, binary: binaryOutput }));
  if (!Array.isArray(outputs)) throw invalidField('outputs', `expected an array, got ${describe(outputs)}`);
  const seen = new Set<string>();
  return outputs.map((output: unknown, i) => {
    if (!isObject(output)) throw invalidField(`outputs[${i}]`, `expected an object, got ${describe(output)}`);
    rejectUnknownKeys(output, OUTPUT_KEYS, `outputs[${i}].`);
    const { name, parameters } = output;
    if (typeof name !== 'string' || !(V2_OUTPUT_NAMES as readonly string[]).includes(name)) {
      throw invalidField(`outputs[${i}].name`, `expected one of ${V2_OUTPUT_NAMES.join(', ')}, got ${describe(name)}`);
    }
    if (seen.has(name)) throw invalidField(`outputs[${i}].name`, `"${name}" is asked for twice`);
    seen.add(name);
    const classification = isObject(parameters) ? parameters.classification : undefined;
    if (classification !== undefined && classification !== 0 && classification !== false) {
      throw invalidField(`outputs[${i}].parameters.classification`, 'not supported: ask for "label" and "probabilities" instead');
    }
    return { name: name as V2OutputName, binary: booleanParameter(parameters, 'binary_data', `outputs[${i}].parameters`) ?? binaryOutput };
  });
}

function binaryDataSize(parameters: unknown): number | undefined {
  if (!isObject(parameters)) throw invalidField('inputs[0].parameters', `expected an object, got ${describe(parameters)}`);
  const size = parameters.binary_data_size;
  if (size === undefined) return undefined;
  if (!Number.isSafeInteger(size) || (size as number) < 0) {
    throw invalidField('inputs[0].parameters.binary_data_size', `expected a byte count, got ${describe(size)}`);
  }
  return size as number;
}

/** A boolean request/output parameter; other parameters (priority, timeout, custom ones) are accepted and ignored. */
function booleanParameter(parameters: unknown, key: string, field: string): boolean | undefined {
  if (parameters === undefined) return undefined;
  if (!isObject(parameters)) throw invalidField(field, `expected an object, got ${describe(parameters)}`);
  const value = parameters[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidField(`${field}.${key}`, `expected true or false, got ${describe(value)}`);
  return value;
}

/** The value as float32, or a 422 naming `field[index]`. */
function rejectUnknownKeys(object: Json, allowed: ReadonlySet<string>, prefix: string): void {
  for (const key in object) {
    if (!allowed.has(key)) throw invalidField(`${prefix}${key}`, `unknown field; expected ${[...allowed].join(', ')}`);
  }
}
