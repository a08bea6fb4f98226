/**
 * What the HTTP layer needs from a model: its metadata and a batch predict. The ONNX backend runs the model in
 * process; the SageMaker backend forwards to an endpoint. Requests are validated and turned into one row-major
 * Float32Array before they reach a backend, so backends never see JSON.
 */
import type { ClassLabel, ModelMetadata } from './model-metadata.js';
import type { Forecast, ForecastRequest } from './sagemaker-task-codec.js';

export interface Prediction {
  /** One label per row, taken from metadata.classes. */
  labels: ClassLabel[];
  /** Row-major [rowCount × classes.length] class probabilities, in metadata.classes order. */
  probabilities: Float32Array;
}

export interface ModelBackend {
  readonly kind: 'onnx' | 'sagemaker';
  /** The SageMaker endpoint's name, for a SageMaker backend (the page and /metadata show it). */
  readonly endpoint?: string;
  readonly metadata: ModelMetadata;
  /** The tensor name the v2 protocol advertises for the feature matrix. */
  readonly inputName: string;
  /** `rows` holds rowCount × feature_names.length values, row after row. */
  predict(rows: Float32Array, rowCount: number): Promise<Prediction>;
  /** Present for a forecasting model (metadata.json task.type forecast), which answers POST /forecast instead. */
  forecast?(request: ForecastRequest): Promise<Forecast>;
  /** One prediction on a dummy row, so the first real request does not pay for lazy initialisation. */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

/** Index of the largest value in row `row` of a row-major matrix with `width` columns. */
export function argmaxRow(values: Float32Array, row: number, width: number): number {
  const start = row * width;
  let best = 0;
  let bestValue = values[start] ?? Number.NEGATIVE_INFINITY;
  for (let j = 1; j < width; j++) {
    const value = values[start + j] ?? Number.NEGATIVE_INFINITY;
    if (value > bestValue) {
      best = j;
      bestValue = value;
    }
  }
  return best;
}
