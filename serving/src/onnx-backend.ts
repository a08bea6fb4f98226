/**
 * Runs a scikit-learn classifier exported with skl2onnx (`zipmap: False`) in process with onnxruntime-node.
 * One InferenceSession for the life of the process, one session.run per HTTP request however many rows it has.
 */
import path from 'node:path';
import type { InferenceSession as OrtSession } from 'onnxruntime-node';
import { argmaxRow, type ModelBackend, type Prediction } from './backend.js';
import { readModelMetadata, type ClassLabel } from './model-metadata.js';
import { coalesceRuns } from './run-coalescing.js';

export interface OnnxBackendOptions {
  modelDir: string;
  modelNameOverride?: string;
  /**
   * Threads for one operator. Tabular models are a handful of tiny matrix products: a thread pool only adds
   * hand-off latency, and the pod's CPU is better spent on concurrent requests. Default 1.
   */
  intraOpThreads?: number;
  /** Each model run's size (run-coalescing.ts): the server's ml_model_run_requests histogram. */
  onRun?: (requests: number, rows: number) => void;
}

/** Output names skl2onnx uses, then the names other converters use, before falling back to the tensor types. */
const LABEL_OUTPUTS = ['label', 'output_label'];
const PROBABILITY_OUTPUTS = ['probabilities', 'output_probability'];

export async function loadOnnxBackend(options: OnnxBackendOptions): Promise<ModelBackend> {
  const metadata = await readModelMetadata(options.modelDir, options.modelNameOverride);
  // Imported here, not at the top: the SageMaker backend must not pay for (or depend on) the native binding.
  const ort = await import('onnxruntime-node');
  const modelPath = path.join(options.modelDir, 'model.onnx');
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });

  const inputName = session.inputNames[0];
  if (inputName === undefined || session.inputNames.length !== 1) {
    throw new Error(`${modelPath}: expected exactly one input tensor, found ${session.inputNames.length}`);
  }
  const probabilityOutput = pickOutput(session, PROBABILITY_OUTPUTS, (meta) => meta.type === 'float32');
  if (probabilityOutput === undefined) {
    throw new Error(
      `${modelPath}: no float32 probabilities output (was the model exported with zipmap: False?); outputs: ${session.outputNames.join(', ')}`,
    );
  }
  const labelOutput = pickOutput(session, LABEL_OUTPUTS, (meta) => meta.type !== 'float32');

  const featureCount = metadata.feature_names.length;
  const classCount = metadata.classes.length;
  const toClass = classMapper(metadata.classes);
  const fetches = labelOutput === undefined ? [probabilityOutput] : [labelOutput, probabilityOutput];

  /** One session.run for `rowCount` rows; labels and probabilities come back in row order. */
  async function run(rows: Float32Array, rowCount: number): Promise<Prediction> {
    const feeds = { [inputName as string]: new ort.Tensor('float32', rows, [rowCount, featureCount]) };
    const results = await session.run(feeds, fetches);
    const probabilityTensor = results[probabilityOutput as string];
    if (
      probabilityTensor === undefined ||
      !(probabilityTensor.data instanceof Float32Array) ||
      probabilityTensor.data.length !== rowCount * classCount
    ) {
      throw new Error(`model output ${probabilityOutput} does not hold ${rowCount} × ${classCount} float32 probabilities`);
    }
    const probabilities = probabilityTensor.data;
    const labels = new Array<ClassLabel>(rowCount);
    const labelData = labelOutput === undefined ? undefined : (results[labelOutput]?.data as ArrayLike<unknown> | undefined);
    for (let row = 0; row < rowCount; row++) {
      labels[row] =
        labelData === undefined ? (metadata.classes[argmaxRow(probabilities, row, classCount)] as ClassLabel) : toClass(labelData[row]);
    }
    return { labels, probabilities };
  }

  const predict = coalesceRuns(run, featureCount, classCount, options.onRun);

  return {
    kind: 'onnx',
    metadata,
    inputName,
    predict,
    async warmUp() {
      // Also proves at start-up that the model accepts feature_names.length columns and yields classes.length
      // probabilities: a mismatch fails the pod before it is ready, not on the first request.
      await predict(new Float32Array(featureCount), 1);
    },
    async close() {
      await session.release();
    },
  };
}

function pickOutput(
  session: OrtSession,
  preferredNames: readonly string[],
  fits: (meta: OrtSession.ValueMetadata & { type?: string }) => boolean,
): string | undefined {
  const byName = preferredNames.find((name) => session.outputNames.includes(name));
  if (byName !== undefined) return byName;
  const index = session.outputMetadata.findIndex((meta) => meta.isTensor && fits(meta as OrtSession.ValueMetadata & { type?: string }));
  return index === -1 ? undefined : session.outputNames[index];
}

/** skl2onnx emits int64 labels (BigInt) for integer classes and strings for string classes. */
function classMapper(classes: readonly ClassLabel[]): (value: unknown) => ClassLabel {
  return typeof classes[0] === 'number' ? (value) => Number(value) : (value) => String(value);
}
