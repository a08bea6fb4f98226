/**
 * The OpenAPI 3.1 description of the serving app, written by hand. @hono/zod-openapi would generate it from
 * zod schemas, but only by validating every request with those schemas: request-parsing.ts exists to keep
 * that off the hot path. serving/test/http-endpoints.test.ts checks that every route the app answers is here.
 * With a model loaded, the feature properties are named after its feature_names.
 */
import type { ModelMetadata } from './model-metadata.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description: string): Schema => ({ description, content: { 'application/json': { schema } } });
const errors = (...statuses: number[]): Record<string, Schema> =>
  Object.fromEntries(statuses.map((status) => [String(status), json(ref('Error'), ERROR_MEANINGS[status] ?? 'Error')]));

const ERROR_MEANINGS: Record<number, string> = {
  400: 'Malformed JSON or an empty body.',
  404: 'Unknown route, or a model name/version this server does not serve.',
  413: 'The body is larger than MAX_BODY_BYTES.',
  415: 'Content-Type is not application/json.',
  422: 'The JSON does not fit the model: missing, unknown or non-finite features, wrong counts, wrong types. `field` says where.',
  500: 'A bug: logged with its stack under the X-Request-Id.',
  502: 'The SageMaker endpoint answered with an error.',
  503: 'The model is still loading, or the SageMaker endpoint is unreachable.',
};

const PREDICT_ERRORS = [400, 413, 415, 422, 500, 502, 503];

export function buildOpenApiDocument(metadata: ModelMetadata | undefined): Schema {
  const featureNames = metadata?.feature_names ?? [];
  const featureCount = featureNames.length || undefined;
  const finite = { type: 'number', description: 'A finite number within float32 range.' };
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
        'Predictions from one model. Every error body is `{error: {code, message, field?}}`; every response carries X-Request-Id.',
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
          responses: { 200: json(ref('V2ModelMetadata'), 'The model.'), ...errors(404, 503) },
        },
      },
      '/v2/models/{name}/versions/{version}': {
        get: {
          summary: 'v2 model metadata for a version',
          parameters: [nameParameter, versionParameter],
          responses: { 200: json(ref('V2ModelMetadata'), 'The model.'), ...errors(404, 503) },
        },
      },
      '/v2/models/{name}/ready': {
        get: {
          summary: 'v2 model readiness',
          parameters: [nameParameter],
          responses: { 200: json({ type: 'object' }, 'Ready.'), 503: json({ type: 'object' }, 'Not ready.'), ...errors(404) },
        },
      },
      '/v2/models/{name}/versions/{version}/ready': {
        get: {
          summary: 'v2 model readiness for a version',
          parameters: [nameParameter, versionParameter],
          responses: { 200: json({ type: 'object' }, 'Ready.'), 503: json({ type: 'object' }, 'Not ready.'), ...errors(404) },
        },
      },
      '/v2/models/{name}/infer': {
        post: {
          summary: 'v2 inference',
          parameters: [nameParameter],
          requestBody: { required: true, content: { 'application/json': { schema: ref('V2InferRequest') } } },
          responses: { 200: json(ref('V2InferResponse'), 'Outputs `label` and `probabilities`.'), ...errors(404, ...PREDICT_ERRORS) },
        },
      },
      '/v2/models/{name}/versions/{version}/infer': {
        post: {
          summary: 'v2 inference for a version',
          parameters: [nameParameter, versionParameter],
          requestBody: { required: true, content: { 'application/json': { schema: ref('V2InferRequest') } } },
          responses: { 200: json(ref('V2InferResponse'), 'Outputs `label` and `probabilities`.'), ...errors(404, ...PREDICT_ERRORS) },
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

const nameParameter = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'The model name (metadata.model_name or MODEL_NAME).',
};
const versionParameter = { name: 'version', in: 'path', required: true, schema: { type: 'string' } };
