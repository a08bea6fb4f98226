/**
 * The routes of the models that are not plain classifiers (metadata.json `task`): POST /recommend ranks items for
 * a user with a recommendation model (each (user, item) pair is one row of the same predict a classifier runs, so
 * micro-batching and metrics apply), POST /forecast asks a forecasting model for a series' future. A model of
 * another task answers 404 with the route it does have.
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app-deps.js';
import type { ModelBackend } from '../backend.js';
import { invalidField, ServingError } from '../errors.js';
import { readJsonBody } from '../json-body.js';
import { runPrediction } from '../run-prediction.js';
import { parseForecastBody } from '../sagemaker-task-codec.js';

const MAX_ITEMS = 1000;

export function taskRoutes({ model, metrics, maxBodyBytes }: AppDeps): Hono {
  const routes = new Hono();

  routes.post('/recommend', async (c) => {
    const { backend } = model.serving();
    const task = backend.metadata.task;
    if (task.type !== 'recommendation') throw wrongTask(backend, '/recommend');
    const { user, items, topK } = parseRecommendBody(await readJsonBody(c, maxBodyBytes), task);
    const rows = new Float32Array(items.length * 2);
    items.forEach((item, index) => {
      rows[index * 2] = user;
      rows[index * 2 + 1] = item;
    });
    const { prediction, inferenceMs } = await runPrediction(backend, metrics, rows, items.length);
    // The score of a pair is P(classes[1]): the model's "the user takes this item".
    const ranked = items
      .map((item, index) => ({ item, score: round6(prediction.probabilities[index * 2 + 1] ?? 0) }))
      .sort((a, b) => b.score - a.score || a.item - b.item)
      .slice(0, topK);
    return c.json({
      user,
      recommendations: ranked,
      model_name: backend.metadata.model_name,
      model_version: backend.metadata.model_version,
      inference_time_ms: round3(inferenceMs),
    });
  });

  routes.post('/forecast', async (c) => {
    const { backend } = model.serving();
    const task = backend.metadata.task;
    if (task.type !== 'forecast' || backend.forecast === undefined) throw wrongTask(backend, '/forecast');
    const request = parseForecastBody(await readJsonBody(c, maxBodyBytes));
    const started = performance.now();
    const forecast = await backend.forecast(request);
    const inferenceMs = performance.now() - started;
    metrics.observePrediction(backend.metadata, [], inferenceMs / 1000);
    return c.json({
      prediction_length: task.prediction_length,
      frequency: task.frequency,
      ...forecast,
      model_name: backend.metadata.model_name,
      model_version: backend.metadata.model_version,
      inference_time_ms: round3(inferenceMs),
    });
  });

  return routes;
}

/** /predict on a forecasting model, /recommend on a classifier: name the route this model answers. */
export function wrongTask(backend: ModelBackend, route: string): ServingError {
  const { task, model_name } = backend.metadata;
  const own =
    task.type === 'forecast' ? 'POST /forecast' : task.type === 'recommendation' ? 'POST /recommend or POST /predict' : 'POST /predict';
  return new ServingError(404, 'not_found', `model ${model_name} is a ${task.type} model: it answers ${own}, not POST ${route}`);
}

function parseRecommendBody(body: unknown, task: { users: number; items: number }): { user: number; items: number[]; topK: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidField('body', 'expected a JSON object {"user": 3, "items": [10, 11, 12], "top_k"?: 2}');
  }
  const { user, items, top_k: topK } = body as Record<string, unknown>;
  const id = (value: unknown, count: number, field: string): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= count) {
      throw invalidField(field, `got ${JSON.stringify(value)}, expected an integer id from 0 to ${count - 1}`);
    }
    return value;
  };
  const userId = id(user, task.users, 'user');
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_ITEMS) {
    throw invalidField('items', `expected an array of 1 to ${MAX_ITEMS} item ids to rank`);
  }
  const itemIds = items.map((item, index) => id(item, task.items, `items[${index}]`));
  if (new Set(itemIds).size !== itemIds.length) throw invalidField('items', 'lists an item more than once');
  if (topK !== undefined && (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1)) {
    throw invalidField('top_k', `got ${JSON.stringify(topK)}, expected a positive integer`);
  }
  return { user: userId, items: itemIds, topK: (topK as number | undefined) ?? itemIds.length };
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;
