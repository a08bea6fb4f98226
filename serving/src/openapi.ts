/**
 * The OpenAPI 3.1 description of the serving app, written by hand. @hono/zod-openapi would generate it from
 * zod schemas, but only by validating every request with those schemas: request-parsing.ts exists to keep
 * that off the hot path. serving/test/http-endpoints.test.ts checks that every route the app answers is here.
 * With a model loaded, the feature properties are named after its feature_names.
 */
import type { ModelMetadata } from './model-metadata.js';
import { taskPaths } from './openapi-tasks.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description: string): Schema => ({ description, content: { 'application/json': { schema } } });
const errors = (...statuses: number[]): Record<string, Schema> =>
  Object.fromEntries(statuses.map((status) => [String(status), json(ref('Error'), ERROR_MEANINGS[status] ?? 'Error')]));
/** The Open Inference Protocol's routes answer errors in its shape, `{error: message}` (v2/errors.ts). */
const v2Errors = (...statuses: number[]): Record<string, Schema> =>
  Object.fromEntries(statuses.map((status) => [String(status), json(ref('V2Error'), ERROR_MEANINGS[status] ?? 'Error')]));

const ERROR_MEANINGS: Record<number, string> = {
  400: 'Malformed JSON or an empty body.',
  404: 'Unknown route, or a model name/version this server does not serve.',
  413: 'The body is larger than MAX_BODY_BYTES.',
  415: 'Content-Type is declared and is not JSON (a body without Content-Type is read as JSON).',
  422:
    'The JSON does not fit the model: missing, unknown or non-finite features, numbers outside float32 range, wrong counts, ' +
    'columns of unequal length, wrong types. `field` (on v2 routes, the start of the message) says where.',
  500: 'A bug: logged with its stack under the X-Request-Id.',
  502: 'The SageMaker endpoint answered with an error.',
  503: 'The model is still loading, or the SageMaker endpoint is unreachable.',
};

const PREDICT_ERRORS = [400, 413, 415, 422, 500, 502, 503];

export function buildOpenApiDocument(metadata: ModelMetadata | undefined): Schema {
  const featureNames = metadata?.feature_names ?? [];
  const featureCount = featureNames.length || undefined;
  const finite = { type: 'number', minimum: -FLOAT32_MAX, maximum: FLOAT32_MAX, description: 'A finite number within float32 range.' };
  const named = (value: Schema): Schema =>
    featureNames.length === 0
      ? { type: 'object', additionalProperties: value }
      : {
          type: 'object',
          properties: Object.fromEntries(featureNames.map((name) => [name, value])),
          required: [...featureNames],
          additionalProperties: false,
        };
  const label = { oneOf: [{ type: 'integer' }, { type: 'string' }], description: 'One of metadata.classes.' };

  return {
    openapi: '3.1.0',
    info: {
      title: `mlp serving${metadata ? `: ${metadata.model_name}` : ''}`,
      version: metadata?.model_version ?? 'unloaded',
      description:
        'Predictions from one model. Every error body is `{error: {code, message, field?}}`, on the Open Inference Protocol ' +
        "routes (/v2) the protocol's `{error: message}`; every response carries X-Request-Id. A method a path does not " +
        'answer gets 405 with an Allow header. POST /v2/models/{name}/infer also takes the binary tensor data extension: ' +
        'a JSON header of Inference-Header-Content-Length bytes, then raw little-endian tensors (any Content-Type), ' +
        'and a gzip or deflate Content-Encoding.',
    },
    paths: {
      '/health': { get: { summary: 'Liveness', responses: { 200: json(ref('Health'), 'The process is up.') } } },
      '/ready': {
        get: {
          summary: 'Readiness',
          responses: {
            200: json(ref('Readiness'), 'Loaded, warmed up, not draining.'),
            503: json(ref('Readiness'), 'Loading, warming up or shutting down.'),
          },
        },
      },
      '/metadata': { get: { summary: 'Model metadata', responses: { 200: json(ref('Metadata'), 'The loaded model.'), ...errors(503) } } },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { 200: { description: 'Text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: json({ type: 'object' }, 'OpenAPI 3.1.') } } },
      ...UI_PATHS,
      ...taskPaths(metadata),
      '/predict': {
        post: {
          summary: 'Predict one row (`features`) or columns (`inputs`)',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { oneOf: [ref('FeaturesRequest'), ref('ColumnsRequest')] } } },
          },
          responses: { 200: json(ref('PredictionResponse'), 'Predictions.'), ...errors(...PREDICT_ERRORS) },
        },
      },
      '/batch_predict': {
        post: {
          summary: 'Predict rows given as objects keyed by feature name',
          requestBody: { required: true, content: { 'application/json': { schema: ref('InstancesRequest') } } },
          responses: { 200: json(ref('PredictionResponse'), 'Predictions.'), ...errors(...PREDICT_ERRORS) },
        },
      },
      '/v2': {
        get: {
          summary: 'Open Inference Protocol v2: server metadata',
          responses: { 200: json({ type: 'object' }, 'Server name and version.') },
        },
      },
      '/v2/health/live': {
        get: { summary: 'v2 liveness', responses: { 200: json({ type: 'object', properties: { live: { type: 'boolean' } } }, 'Live.') } },
      },
      '/v2/health/ready': {
        get: {
          summary: 'v2 readiness',
          responses: {
            200: json({ type: 'object', properties: { ready: { type: 'boolean' } } }, 'Ready.'),
            503: json({ type: 'object' }, 'Not ready.'),
          },
        },
      },
      '/v2/models/{name}': {
        get: {
          summary: 'v2 model metadata',
          parameters: [nameParameter],
          responses: { 200: json(ref('V2ModelMetadata'), 'The model.'), ...v2Errors(404, 503) },
        },
      },
      '/v2/models/{name}/versions/{version}': {
        get: {
          summary: 'v2 model metadata for a version',
          parameters: [nameParameter, versionParameter],
          responses: { 200: json(ref('V2ModelMetadata'), 'The model.'), ...v2Errors(404, 503) },
        },
      },
      '/v2/models/{name}/ready': {
        get: {
          summary: 'v2 model readiness',
          parameters: [nameParameter],
          responses: { 200: json({ type: 'object' }, 'Ready.'), 503: json({ type: 'object' }, 'Not ready.'), ...v2Errors(404) },
        },
      },
      '/v2/models/{name}/versions/{version}/ready': {
        get: {
          summary: 'v2 model readiness for a version',
          parameters: [nameParameter, versionParameter],
          responses: { 200: json({ type: 'object' }, 'Ready.'), 503: json({ type: 'object' }, 'Not ready.'), ...v2Errors(404) },
        },
      },
      '/v2/models/{name}/infer': {
        post: {
          summary: 'v2 inference',
          parameters: [nameParameter],
          requestBody: { required: true, content: { 'application/json': { schema: ref('V2InferRequest') } } },
          responses: { 200: V2_INFER_ANSWER, ...v2Errors(404, ...PREDICT_ERRORS) },
        },
      },
      '/v2/models/{name}/versions/{version}/infer': {
        post: {
          summary: 'v2 inference for a version',
          parameters: [nameParameter, versionParameter],
          requestBody: { required: true, content: { 'application/json': { schema: ref('V2InferRequest') } } },
          responses: { 200: V2_INFER_ANSWER, ...v2Errors(404, ...PREDICT_ERRORS) },
        },
      },
    },
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                field: { type: 'string', examples: ['inputs.amount[2]'] },
              },
            },
          },
        },
        V2Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
        Health: {
          type: 'object',
          properties: {
            status: { const: 'healthy' },
            model_loaded: { type: 'boolean' },
            model_name: { type: ['string', 'null'] },
            model_version: { type: ['string', 'null'] },
            timestamp: { type: 'string', format: 'date-time' },
          },
        },
        Readiness: {
          type: 'object',
          properties: {
            status: { enum: ['ready', 'not_ready', 'draining'] },
            model_name: { type: ['string', 'null'] },
            reason: { type: 'string' },
          },
        },
        Metadata: {
          type: 'object',
          properties: {
            model_name: { type: 'string' },
            model_version: { type: 'string' },
            model_type: { type: 'string' },
            feature_names: { type: 'array', items: { type: 'string' } },
            classes: { type: 'array', items: label },
            training_metrics: { type: 'object' },
            created_at: { type: ['string', 'null'] },
            loaded_at: { type: 'string', format: 'date-time' },
            backend: { enum: ['onnx', 'sagemaker'] },
            sagemaker_endpoint: { type: 'string', description: 'The endpoint a SageMaker backend calls.' },
            feature_types: { type: 'object', additionalProperties: { enum: ['number', 'integer', 'boolean'] } },
            feature_examples: { type: 'object', additionalProperties: { type: 'number' } },
            task: { type: 'object', properties: { type: { enum: ['classification', 'recommendation', 'forecast'] } } },
          },
        },
        FeaturesRequest: {
          type: 'object',
          required: ['features'],
          additionalProperties: false,
          properties: {
            features: {
              type: 'array',
              items: finite,
              minItems: featureCount,
              maxItems: featureCount,
              description: 'One row in metadata.feature_names order.',
            },
            request_id: { type: 'string', maxLength: 128, description: 'Echoed in the response.' },
            return_probabilities: { type: 'boolean', default: false },
          },
        },
        ColumnsRequest: {
          type: 'object',
          required: ['inputs'],
          additionalProperties: false,
          properties: {
            inputs: named({ type: 'array', items: finite, minItems: 1 }),
            request_id: { type: 'string', maxLength: 128 },
            return_probabilities: { type: 'boolean', default: false },
          },
        },
        InstancesRequest: {
          type: 'object',
          required: ['instances'],
          additionalProperties: false,
          properties: {
            instances: { type: 'array', minItems: 1, items: named(finite) },
            request_id: { type: 'string', maxLength: 128 },
            return_probabilities: { type: 'boolean', default: false },
          },
        },
        PredictionResponse: {
          type: 'object',
          required: ['predictions', 'model_name', 'model_version', 'inference_time_ms', 'timestamp'],
          properties: {
            prediction: { ...label, description: "Only for a `features` request: the row's label." },
            probability: {
              type: 'number',
              description: 'Only for a `features` request: P(classes[1]) for a binary model, else the probability of the predicted class.',
            },
            predictions: { type: 'array', items: label },
            probabilities: {
              type: 'array',
              items: { type: 'array', items: { type: 'number' } },
              description: 'With return_probabilities: one row per prediction, in metadata.classes order.',
            },
            model_name: { type: 'string' },
            model_version: { type: 'string' },
            inference_time_ms: { type: 'number' },
            timestamp: { type: 'string', format: 'date-time' },
            request_id: { type: 'string' },
          },
        },
        V2Tensor: {
          type: 'object',
          required: ['name', 'shape', 'datatype', 'data'],
          properties: {
            name: { type: 'string' },
            shape: { type: 'array', items: { type: 'integer' } },
            datatype: { type: 'string', examples: ['FP32'] },
            data: { type: 'array' },
          },
        },
        V2InferRequest: {
          type: 'object',
          required: ['inputs'],
          properties: {
            id: { type: 'string' },
            inputs: {
              type: 'array',
              minItems: 1,
              maxItems: 1,
              items: ref('V2Tensor'),
              description: `One tensor of shape [rows, ${featureCount ?? 'features'}], data flat row-major or nested.`,
            },
            outputs: { type: 'array', items: { type: 'object', properties: { name: { enum: ['label', 'probabilities'] } } } },
            parameters: { type: 'object' },
          },
        },
        V2InferResponse: {
          type: 'object',
          properties: {
            model_name: { type: 'string' },
            model_version: { type: 'string' },
            id: { type: 'string' },
            outputs: { type: 'array', items: ref('V2Tensor') },
          },
        },
        V2ModelMetadata: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            versions: { type: 'array', items: { type: 'string' } },
            platform: { type: 'string' },
            inputs: { type: 'array', items: { type: 'object' } },
            outputs: { type: 'array', items: { type: 'object' } },
          },
        },
      },
    },
  };
}

/** The page to try the model (routes/ui.ts): the same page at / and /ui/, its files, and its live panels' data. */
const text = (type: string, description: string): Schema => ({ description, content: { [type]: { schema: { type: 'string' } } } });
const UI_PATHS: Record<string, Schema> = {
  '/': { get: { summary: 'The page to try the model', responses: { 200: text('text/html', 'The page.') } } },
  '/ui': { get: { summary: 'Redirects to /ui/', responses: { 308: { description: 'Location: ui/' } } } },
  '/ui/': {
    get: { summary: 'The page to try the model (when / is mapped elsewhere)', responses: { 200: text('text/html', 'The page.') } },
  },
  '/ui/page.js': { get: { summary: "The page's script", responses: { 200: text('text/javascript', 'JavaScript.') } } },
  '/ui/page.css': { get: { summary: "The page's style sheet", responses: { 200: text('text/css', 'CSS.') } } },
  '/ui/uplot.min.js': { get: { summary: 'uPlot, the charting library', responses: { 200: text('text/javascript', 'JavaScript.') } } },
  '/ui/uplot.min.css': { get: { summary: "uPlot's style sheet", responses: { 200: text('text/css', 'CSS.') } } },
  '/ui/api/stats': {
    get: {
      summary: "The page's live panels: prediction requests/s, p50/p99 latency and error rate over the last 10 minutes",
      responses: {
        200: json(
          { type: 'object', properties: { window_seconds: { type: 'number' }, points: { type: 'array' }, backend: {} } },
          'Points, oldest first.',
        ),
      },
    },
  },
};

const FLOAT32_MAX = 3.4028234663852886e38;

/** JSON, or with the binary tensor data extension a JSON header of Inference-Header-Content-Length bytes and raw tensors. */
const V2_INFER_ANSWER: Schema = {
  description:
    "Outputs `label` and `probabilities`. Outputs asked for with `parameters.binary_data` (or all, with the request's " +
    '`parameters.binary_data_output`) come as raw little-endian bytes after a JSON header whose length is in the ' +
    'Inference-Header-Content-Length response header.',
  headers: {
    'Inference-Header-Content-Length': { schema: { type: 'integer' }, description: "With binary outputs: the JSON header's length." },
  },
  content: {
    'application/json': { schema: { $ref: '#/components/schemas/V2InferResponse' } },
    'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
  },
};

const nameParameter = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The model name (metadata.model_name or MODEL_NAME).',
};
const versionParameter = { name: 'version', in: 'path', required: true, schema: { type: 'string' } };
