/**
 * Open Inference Protocol v2 (KServe, Triton, Seldon) over REST: clients and load tests written for those servers
 * work against mlp's too, tritonclient's binary tensor data included (v2/binary-tensors.ts). One model per server;
 * any other name is a 404. Versioned URLs accept only the loaded version. Errors take the protocol's shape,
 * `{"error": "<message>"}` (v2/errors.ts). v2/grpc-server.ts serves the same over gRPC.
 */
import { Hono, type Context } from 'hono';
import type { AppDeps } from '../app-deps.js';
import type { ModelBackend } from '../backend.js';
import { honoErrorHandler } from '../error-response.js';
import { BackendUnavailableError, ServingError } from '../errors.js';
import { declaredContentType, isJsonMediaType, readBody, requestHeader, unsupportedMediaType, type RequestSource } from '../json-body.js';
import type { ModelState } from '../model-state.js';
import type { FeatureLayout } from '../request-parsing.js';
import { runPrediction } from '../run-prediction.js';
import { decodeContentEncoding, HEADER_LENGTH, splitInferBody } from '../v2/binary-tensors.js';
import { parseRestInferRequest, type V2Request } from '../v2/infer-request.js';
import { labelDatatype, outputTensors, restInferAnswer } from '../v2/infer-response.js';

/** What GET /v2 and gRPC's ServerMetadata announce. */
export const V2_SERVER_METADATA = { name: 'mlp-serving', version: '1', extensions: ['binary_tensor_data'] };

export function v2Routes(deps: AppDeps): Hono {
  const { model, logger } = deps;
  const routes = new Hono();
  routes.onError(honoErrorHandler('v2', logger));

  routes.get('/v2', (c) => c.json(V2_SERVER_METADATA));
  routes.get('/v2/health/live', (c) => c.json({ live: true }));
  routes.get('/v2/health/ready', (c) => c.json({ ready: model.ready }, model.ready ? 200 : 503));

  const modelMetadata = (c: Context) => c.json(v2ModelMetadata(namedBackend(model, c.req.param('name'), c.req.param('version'))));
  routes.get('/v2/models/:name', modelMetadata);
  routes.get('/v2/models/:name/versions/:version', modelMetadata);

  const modelReady = (c: Context) => {
    const backend = namedBackend(model, c.req.param('name'), c.req.param('version'));
    return c.json({ name: backend.metadata.model_name, ready: model.ready }, model.ready ? 200 : 503);
  };
  routes.get('/v2/models/:name/ready', modelReady);
  routes.get('/v2/models/:name/versions/:version/ready', modelReady);

  const infer = async (c: Context) => {
    const answer = await answerInfer(c, deps, c.req.param('name'), c.req.param('version'));
    return 'json' in answer ? c.json(answer.json) : c.body(answer.body, 200, answer.headers);
  };
  routes.post('/v2/models/:name/infer', infer);
  routes.post('/v2/models/:name/versions/:version/infer', infer);

  return routes;
}

export type InferAnswer = ReturnType<typeof restInferAnswer>;

/** The infer routes' answer, read from a Hono context or (hot-routes.ts) straight from the Node request. */
export async function answerInfer(
  source: RequestSource,
  { model, metrics, maxBodyBytes }: AppDeps,
  name: string | undefined,
  version: string | undefined,
): Promise<InferAnswer> {
  const backend = namedBackend(model, name, version);
  const layout = servingLayout(model);
  const request = await readInferRequest(source, maxBodyBytes, layout, backend.inputName);
  const { prediction } = await runPrediction(backend, metrics, request.rows, request.rowCount);
  const { metadata } = backend;
  return restInferAnswer(
    { model_name: metadata.model_name, model_version: metadata.model_version, ...(request.id === undefined ? {} : { id: request.id }) },
    outputTensors(request.outputs, prediction, metadata, request.rowCount),
    request.outputs,
  );
}

/**
 * The body as JSON, or as a JSON header and binary tensors when Inference-Header-Content-Length says where the
 * header ends (then any Content-Type goes: tritonclient sends none, others application/octet-stream); gzip or
 * deflate Content-Encoding is inflated first.
 */
async function readInferRequest(c: RequestSource, maxBodyBytes: number, layout: FeatureLayout, inputName: string): Promise<V2Request> {
  const headerLength = requestHeader(c, HEADER_LENGTH.toLowerCase());
  if (headerLength === undefined) {
    const contentType = declaredContentType(c);
    if (contentType !== undefined && !isJsonMediaType(contentType)) throw unsupportedMediaType(contentType);
  }
  const body = decodeContentEncoding(await readBody(c, maxBodyBytes), requestHeader(c, 'content-encoding'), maxBodyBytes);
  const { header, binary } = splitInferBody(body, headerLength);
  return parseRestInferRequest(header, binary, layout, inputName);
}

export function v2ModelMetadata(backend: ModelBackend): object {
  const { metadata } = backend;
  return {
    name: metadata.model_name,
    versions: [metadata.model_version],
    platform: backend.kind,
    inputs: [{ name: backend.inputName, datatype: 'FP32', shape: [-1, metadata.feature_names.length] }],
    outputs: [
      { name: 'label', datatype: labelDatatype(metadata.classes), shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, metadata.classes.length] },
    ],
    parameters: { feature_names: metadata.feature_names, classes: metadata.classes },
  };
}

/** The backend when `name` (and `version`, if given) is the loaded model; a 404 otherwise, a 503 while loading. */
export function namedBackend(model: ModelState, name: string | undefined, version: string | undefined): ModelBackend {
  const { backend } = model;
  if (backend === undefined) throw new BackendUnavailableError('the model is still loading; retry when GET /v2/health/ready answers 200');
  const { model_name: loadedName, model_version: loadedVersion } = backend.metadata;
  if (name !== loadedName) throw new ServingError(404, 'model_not_found', `no model named "${name}"; this server serves "${loadedName}"`);
  if (version !== undefined && version !== '' && version !== loadedVersion) {
    throw new ServingError(
      404,
      'model_not_found',
      `model "${name}" has no version "${version}"; this server serves version "${loadedVersion}"`,
    );
  }
  return backend;
}

/** The feature layout once the model is warmed up; a 503 before. */
export function servingLayout(model: ModelState): FeatureLayout {
  if (!model.warmedUp || model.layout === undefined) {
    throw new BackendUnavailableError('the model is still warming up; retry when GET /v2/health/ready answers 200');
  }
  return model.layout;
}
