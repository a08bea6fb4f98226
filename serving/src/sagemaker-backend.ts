/**
 * Forwards predictions to a SageMaker endpoint (seed 000's services wrap endpoints this way). The HTTP surface
 * is the same as for ONNX; metadata.json in MODEL_DIR still supplies feature_names and classes, because the
 * endpoint cannot say what it expects.
 */
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { ModelBackend, Prediction } from './backend.js';
import type { SageMakerConfig } from './config.js';
import { BackendError, BackendUnavailableError } from './errors.js';
import { readModelMetadata } from './model-metadata.js';
import { decodePrediction, encodeRows } from './sagemaker-codec.js';
import { createSageMakerRuntimeClient } from './sagemaker-client.js';
import {
  decodeForecast,
  DEFAULT_QUANTILES,
  encodeFactorizationMachineRows,
  encodeForecastRequest,
  type ForecastRequest,
} from './sagemaker-task-codec.js';

export interface SageMakerBackendOptions {
  modelDir: string;
  modelNameOverride?: string;
  sagemaker: SageMakerConfig;
  /** Tests pass their own; production builds one from the region (and AWS_ENDPOINT_URL, via the SDK). */
  client?: SageMakerRuntimeClient;
}

export async function loadSageMakerBackend(options: SageMakerBackendOptions): Promise<ModelBackend> {
  const metadata = await readModelMetadata(options.modelDir, options.modelNameOverride);
  const { endpoint, contentType } = options.sagemaker;
  const client = options.client ?? createSageMakerRuntimeClient(options.sagemaker.region);
  const featureCount = metadata.feature_names.length;
  const decoder = new TextDecoder();

  const { task } = metadata;

  /** One InvokeEndpoint; the body as text, or the error classified as 502/503. */
  async function invoke(body: string, type: string): Promise<{ body: string; contentType: string | undefined }> {
    const command = new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: type, Accept: type, Body: body });
    let output;
    try {
      output = await client.send(command);
    } catch (error) {
      throw classifySageMakerError(endpoint, error);
    }
    return { body: output.Body === undefined ? '' : decoder.decode(output.Body), contentType: output.ContentType };
  }

  async function predict(rows: Float32Array, rowCount: number): Promise<Prediction> {
    // Factorization Machines take only JSON (their sparse rows have no CSV form).
    const answer =
      task.type === 'recommendation'
        ? await invoke(encodeFactorizationMachineRows(rows, rowCount, task), 'application/json')
        : await invoke(encodeRows(rows, rowCount, featureCount, contentType), contentType);
    return decodePrediction(answer.body, answer.contentType, metadata.classes, rowCount);
  }

  async function forecast(request: ForecastRequest) {
    if (task.type !== 'forecast') throw new BackendError('this model does not forecast');
    const answer = await invoke(encodeForecastRequest(request), 'application/json');
    return decodeForecast(answer.body, request, task);
  }

  return {
    kind: 'sagemaker',
    endpoint,
    metadata,
    inputName: 'input',
    predict,
    ...(task.type === 'forecast' ? { forecast } : {}),
    async warmUp() {
      // A request of the task's own shape: a forecasting endpoint would refuse a feature row.
      if (task.type === 'forecast') await forecast({ start: '2026-01-01', target: [0, 0, 0, 0], quantiles: DEFAULT_QUANTILES });
      else await predict(new Float32Array(featureCount), 1);
    },
    async close() {
      client.destroy();
    },
  };
}

/**
 * 503 when the endpoint could not be reached or asked us to back off (a retry may succeed), 502 when it
 * answered with an error (the model or the request is wrong). The message names the endpoint, never a stack.
 */
export function classifySageMakerError(endpoint: string, error: unknown): BackendError | BackendUnavailableError {
  const details = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = details.name ?? 'Error';
  const message = details.message ?? String(error);
  const status = details.$metadata?.httpStatusCode;
  if (status === undefined || status === 429 || status === 503 || name === 'ServiceUnavailable' || name === 'ThrottlingException') {
    return new BackendUnavailableError(`SageMaker endpoint "${endpoint}" is unavailable: ${name}: ${message}`);
  }
  return new BackendError(`SageMaker endpoint "${endpoint}" failed with HTTP ${status}: ${name}: ${message}`);
}
