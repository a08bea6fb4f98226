/**
 * Response bodies for /predict and /batch_predict, in seed 004's shape (predictions, probabilities,
 * inference_time_ms, timestamp, model_name, model_version) plus seed 003's single-row fields.
 */
import type { Prediction } from './backend.js';
import type { ClassLabel, ModelMetadata } from './model-metadata.js';
import type { RowsRequest } from './request-parsing.js';

export interface PredictionResponse {
  /** Only for the `features` shape: the one row's label and its score (see {@link scoreOf}). */
  prediction?: ClassLabel;
  probability?: number;
  predictions: ClassLabel[];
  probabilities?: number[][];
  model_name: string;
  model_version: string;
  inference_time_ms: number;
  timestamp: string;
  request_id?: string;
}

export function predictionResponse(
  request: RowsRequest,
  prediction: Prediction,
  metadata: ModelMetadata,
  inferenceMs: number,
): PredictionResponse {
  const classCount = metadata.classes.length;
  // Built field by field so the JSON reads in a sensible order: answer first, then provenance.
  const body = {} as PredictionResponse;
  if (request.shape === 'features') {
    // Seed 003's callers are fraud checks: they threshold a score, so the single-row answer always carries one.
    body.prediction = prediction.labels[0] as ClassLabel;
    body.probability = scoreOf(prediction.probabilities, 0, classCount);
  }
  body.predictions = prediction.labels;
  if (request.returnProbabilities) body.probabilities = probabilityRows(prediction.probabilities, request.rowCount, classCount);
  body.model_name = metadata.model_name;
  body.model_version = metadata.model_version;
  body.inference_time_ms = round3(inferenceMs);
  body.timestamp = new Date().toISOString();
  if (request.requestId !== undefined) body.request_id = request.requestId;
  return body;
}

/**
 * A binary model's score is P(classes[1]), the positive class, whatever was predicted; a multiclass model has
 * no positive class, so its score is the probability of the predicted (most likely) class.
 */
export function scoreOf(probabilities: Float32Array, row: number, classCount: number): number {
  const start = row * classCount;
  if (classCount === 2) return probabilities[start + 1] as number;
  let best = 0;
  for (let j = 0; j < classCount; j++) best = Math.max(best, probabilities[start + j] as number);
  return best;
}

export function probabilityRows(probabilities: Float32Array, rowCount: number, classCount: number): number[][] {
  const rows = new Array<number[]>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const row = new Array<number>(classCount);
    for (let j = 0; j < classCount; j++) row[j] = probabilities[r * classCount + j] as number;
    rows[r] = row;
  }
  return rows;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
