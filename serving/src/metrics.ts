/**
 * Prometheus metrics in a registry of their own (the global one would collide when tests build several apps
 * in one process). Names follow the seeds: ml_requests_total, ml_request_duration_seconds and
 * ml_predictions_total (002); model_prediction_latency_seconds and model_load_timestamp (003).
 *
 * Labelled children are cached by key: prom-client hashes the label object on every inc/observe, and this
 * runs once or twice per request on the hot path.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClassLabel, ModelMetadata } from './model-metadata.js';

/** Sub-millisecond buckets: an in-process ONNX prediction takes tens of microseconds. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface ServingMetrics {
  readonly registry: Registry;
  /** `route` is the route pattern (e.g. /v2/models/:name/infer), never the raw path. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  observePrediction(metadata: ModelMetadata, labels: readonly ClassLabel[], seconds: number): void;
  setModelLoaded(metadata: ModelMetadata, epochSeconds: number): void;
  /** One model run: how many requests micro-batching coalesced into it, and their rows. */
  readonly observeModelRun: (requests: number, rows: number) => void;
}

/** Requests or rows per model run: 1 when idle, up to the coalescing cap (256 rows) under load. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ServingMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'ml_requests_total',
    help: 'HTTP requests by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: 'ml_request_duration_seconds',
    help: 'HTTP request duration in seconds, from the first middleware to the response.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const predictions = new Counter({
    name: 'ml_predictions_total',
    help: 'Predicted rows by model, version and predicted class.',
    labelNames: ['model', 'version', 'class'] as const,
    registers: [registry],
  });
  const predictionLatency = new Histogram({
    name: 'model_prediction_latency_seconds',
    help: 'Time the backend took for one batch prediction, in seconds.',
    labelNames: ['model', 'version'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const runRequests = new Histogram({
    name: 'ml_model_run_requests',
    help: 'Requests served by one model run: micro-batching coalesces the concurrent ones (1 without load).',
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const runRows = new Histogram({
    name: 'ml_model_run_rows',
    help: 'Rows in one model run.',
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  const loadTimestamp = new Gauge({
    name: 'model_load_timestamp',
    help: 'Unix time in seconds at which the model was loaded and warmed up.',
    labelNames: ['model', 'version'] as const,
    registers: [registry],
  });

  const requestChildren = new Map<
    string,
    { count: ReturnType<typeof requests.labels>; duration: ReturnType<typeof requestDuration.labels> }
  >();
  const classChildren = new Map<ClassLabel, ReturnType<typeof predictions.labels>>();
  let latencyChild: ReturnType<typeof predictionLatency.labels> | undefined;

  return {
    registry,
    observeRequest(route, method, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let child = requestChildren.get(key);
      if (child === undefined) {
        const labels = { route, method, status: String(status) };
        child = { count: requests.labels(labels), duration: requestDuration.labels(labels) };
        requestChildren.set(key, child);
      }
      child.count.inc();
      child.duration.observe(seconds);
    },
    observePrediction(metadata, labels, seconds) {
      latencyChild ??= predictionLatency.labels(metadata.model_name, metadata.model_version);
      latencyChild.observe(seconds);
      // One inc per class, not per row: each inc costs prom-client a label hash, a hundred of them per 100-row batch.
      let run = 0;
      for (let i = 0; i < labels.length; i++) {
        run++;
        const label = labels[i] as ClassLabel;
        if (i + 1 < labels.length && labels[i + 1] === label) continue;
        let child = classChildren.get(label);
        if (child === undefined) {
          child = predictions.labels(metadata.model_name, metadata.model_version, String(label));
          classChildren.set(label, child);
        }
        child.inc(run);
        run = 0;
      }
    },
    observeModelRun(requests, rows) {
      runRequests.observe(requests);
      runRows.observe(rows);
    },
    setModelLoaded(metadata, epochSeconds) {
      loadTimestamp.labels(metadata.model_name, metadata.model_version).set(epochSeconds);
    },
  };
}
