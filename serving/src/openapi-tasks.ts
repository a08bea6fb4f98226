/**
 * The OpenAPI paths of the task routes (routes/tasks.ts): a recommendation model's POST /recommend, a forecasting
 * model's POST /forecast. Every app has both routes (a model of another task answers 404 naming its own), so both
 * are described; the loaded model's task fills in its bounds (id ranges, prediction_length).
 */
import type { ModelMetadata } from './model-metadata.js';

type Schema = Record<string, unknown>;

const ERROR = { $ref: '#/components/schemas/Error' };
const answer = (description: string): Schema => ({ description, content: { 'application/json': { schema: ERROR } } });
const ERRORS: Record<string, Schema> = {
  400: answer('Malformed JSON or an empty body.'),
  404: answer('The loaded model has another task.'),
  413: answer('The body is larger than MAX_BODY_BYTES.'),
  415: answer('Content-Type is declared and is not JSON.'),
  422: answer('The JSON does not fit the model; `field` says where.'),
  500: answer('A bug: logged with its stack under the X-Request-Id.'),
  502: answer('The SageMaker endpoint answered with an error or an answer of the wrong shape.'),
  503: answer('The model is still loading, or the SageMaker endpoint is unreachable.'),
};
const id = (count: number | undefined): Schema => ({ type: 'integer', minimum: 0, ...(count === undefined ? {} : { maximum: count - 1 }) });
const series: Schema = { type: 'array', items: { type: 'number' } };

export function taskPaths(metadata: ModelMetadata | undefined): Record<string, Schema> {
  const task = metadata?.task;
  const recommendation = task?.type === 'recommendation' ? task : undefined;
  const forecast = task?.type === 'forecast' ? task : undefined;
  return {
    '/recommend': {
      post: {
        summary: "Rank items for a user by the model's score of each (user, item) pair",
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['user', 'items'],
                properties: {
                  user: id(recommendation?.users),
                  items: { type: 'array', items: id(recommendation?.items), minItems: 1, maxItems: 1000, uniqueItems: true },
                  top_k: { type: 'integer', minimum: 1 },
                },
              },
            },
          },
        },
        responses: {
          200: {
            description: 'The items, best first.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    user: { type: 'integer' },
                    recommendations: {
                      type: 'array',
                      items: { type: 'object', properties: { item: { type: 'integer' }, score: { type: 'number' } } },
                    },
                    model_name: { type: 'string' },
                    model_version: { type: 'string' },
                    inference_time_ms: { type: 'number' },
                  },
                },
              },
            },
          },
          ...ERRORS,
        },
      },
    },
    '/forecast': {
      post: {
        summary: forecast
          ? `Forecast the next ${forecast.prediction_length} values (frequency ${forecast.frequency}) of a series`
          : 'Forecast the next prediction_length values of a series (a forecast model only)',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['start', 'target'],
                properties: {
                  start: { type: 'string', description: 'The first timestamp of target: YYYY-MM-DD or YYYY-MM-DD HH:MM:SS.' },
                  target: { ...series, minItems: 1, maxItems: 100_000 },
                  quantiles: {
                    type: 'array',
                    items: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
                    minItems: 1,
                    maxItems: 20,
                  },
                },
              },
            },
          },
        },
        responses: {
          200: {
            description: 'The mean and each quantile, prediction_length values each.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    prediction_length: { type: 'integer' },
                    frequency: { type: 'string' },
                    mean: series,
                    quantiles: { type: 'object', additionalProperties: series },
                    model_name: { type: 'string' },
                    model_version: { type: 'string' },
                    inference_time_ms: { type: 'number' },
                  },
                },
              },
            },
          },
          ...ERRORS,
        },
      },
    },
  };
}
