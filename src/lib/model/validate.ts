/**
 * Checks a training run's outputs before anything is registered: model.onnx and metadata.json exist, the metadata
 * has every field the serving app reads, and the model loads in onnxruntime, takes as many features as
 * metadata.json names and answers a one-row inference.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkModelMetadata, trainedModelMetadataSchema, type TrainedModelMetadata } from '../../../serving/src/model-metadata.js';
import { MlpError } from '../errors.js';

/** metadata.json of a trained model: the serving app's schema, with every field a training run must write. */
export type ModelMetadata = TrainedModelMetadata;

export const MODEL_FILE = 'model.onnx';
export const METADATA_FILE = 'metadata.json';

const METADATA_HINT =
  'metadata.json needs model_name, model_version, model_type, feature_names[], classes[], training_metrics{} and created_at; see examples/fraud/train.py.';

/**
 * Validates the model directory and returns its metadata. Every failure is an `MlpError('training')` that names
 * the file and the field.
 */
export async function validateModelDir(dir: string): Promise<ModelMetadata> {
  const modelFile = path.join(dir, MODEL_FILE);
  const metadataFile = path.join(dir, METADATA_FILE);
  const missing = [];
  if (!(await isNonEmptyFile(modelFile))) missing.push(MODEL_FILE);
  if (!(await isNonEmptyFile(metadataFile))) missing.push(METADATA_FILE);
  if (missing.length > 0) {
    throw new MlpError('training', `The training command did not write ${missing.join(' or ')} to ${dir}.`, {
      hint: 'Write the model and its metadata to the directory mlp passes as ${MLP_OUTPUT_DIR} (also in the environment).',
    });
  }
  const metadata = parseMetadata(await readFile(metadataFile, 'utf8'), metadataFile);
  await checkModelLoads(modelFile, metadata);
  return metadata;
}

/** Parses and checks metadata.json against the serving app's schema, reporting every missing or mistyped field at once. */
export function parseMetadata(text: string, file: string): ModelMetadata {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new MlpError('training', `${file} is not valid JSON: ${(error as Error).message}`, { hint: METADATA_HINT });
  }
  const check = checkModelMetadata(trainedModelMetadataSchema, document, file);
  if (!check.ok) throw new MlpError('training', `${check.summary}.`, { details: check.problems, hint: METADATA_HINT });
  return check.metadata;
}

async function checkModelLoads(modelFile: string, metadata: ModelMetadata): Promise<void> {
  const ort = await loadOnnxRuntime();
  const width = metadata.feature_names.length;
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(modelFile);
  } catch (error) {
    throw new MlpError('training', `${modelFile} does not load in onnxruntime: ${firstLine(error)}`, {
      hint: 'Export the model with a converter that matches onnxruntime 1.x (skl2onnx, tf2onnx, torch.onnx) and a supported opset.',
      cause: error,
    });
  }
  try {
    const [input, ...others] = session.inputMetadata;
    if (input === undefined || others.length > 0) {
      throw new MlpError('training', `${modelFile} has ${session.inputMetadata.length} inputs; mlp serves models with exactly one.`, {
        hint: `Export the model with a single float input of shape [None, ${width}].`,
      });
    }
    if (!input.isTensor) {
      throw new MlpError('training', `${modelFile} input "${input.name}" is not a tensor.`, {
        hint: `Export the model with a single float input of shape [None, ${width}] (for skl2onnx: options={id(model): {'zipmap': False}}).`,
      });
    }
    const last = input.shape.at(-1);
    if (typeof last === 'number' && last !== width) {
      throw new MlpError(
        'training',
        `${modelFile} input "${input.name}" takes ${last} features, but metadata.json feature_names lists ${width}.`,
        {
          hint: 'Write feature_names in the order and number of the model input columns.',
        },
      );
    }
    if (input.type !== 'float32') {
      throw new MlpError('training', `${modelFile} input "${input.name}" is ${input.type}; the serving app sends float32.`, {
        hint: 'Export the model with a float32 input (for skl2onnx: pass float32 sample data or FloatTensorType).',
      });
    }
    let outputs: Record<string, { type: string; data: unknown }>;
    try {
      outputs = await session.run({ [input.name]: new ort.Tensor('float32', new Float32Array(width), [1, width]) });
    } catch (error) {
      throw new MlpError('training', `${modelFile} failed a one-row inference with ${width} features: ${firstLine(error)}`, {
        hint: 'Check that metadata.json feature_names matches the model input, and that the model runs in onnxruntime.',
        cause: error,
      });
    }
    // The serving app answers with one probability per class, so it needs a float32 output of that width.
    const classes = metadata.classes.length;
    const probabilities = Object.values(outputs).some(
      (tensor) => tensor.type === 'float32' && (tensor.data as ArrayLike<number>).length === classes,
    );
    if (!probabilities) {
      const found = Object.entries(outputs).map(
        ([name, tensor]) => `${name} (${tensor.type}, ${(tensor.data as ArrayLike<unknown>).length} values)`,
      );
      throw new MlpError(
        'training',
        `${modelFile} has no float32 output with one probability per class (metadata.json classes lists ${classes}); outputs: ${found.join(', ')}.`,
        {
          hint: "Export the classifier's probabilities as a plain tensor (for skl2onnx: options={id(model): {'zipmap': False}}).",
        },
      );
    }
  } finally {
    await session.release();
  }
}

async function loadOnnxRuntime(): Promise<typeof import('onnxruntime-node')> {
  try {
    return await import('onnxruntime-node');
  } catch (error) {
    throw new MlpError(
      'prerequisite',
      `onnxruntime-node could not be loaded, so the trained model cannot be checked: ${firstLine(error)}`,
      {
        hint: 'Reinstall mlp with its dependencies (npm ci), on a platform onnxruntime-node supports (Linux, macOS or Windows on x64 or arm64).',
        cause: error,
      },
    );
  }
}

async function isNonEmptyFile(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    return info.isFile() && info.size > 0;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]?.trim() ?? '';
}
