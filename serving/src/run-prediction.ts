/** One backend call, timed and counted the same way whichever protocol asked for it. */
import type { ModelBackend, Prediction } from './backend.js';
import type { ServingMetrics } from './metrics.js';

export async function runPrediction(
  backend: ModelBackend,
  metrics: ServingMetrics,
  rows: Float32Array,
  rowCount: number,
): Promise<{ prediction: Prediction; inferenceMs: number }> {
  const started = performance.now();
  const prediction = await backend.predict(rows, rowCount);
  const inferenceMs = performance.now() - started;
  metrics.observePrediction(backend.metadata, prediction.labels, inferenceMs / 1000);
  return { prediction, inferenceMs };
}
