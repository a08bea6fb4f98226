/** POST /predict (seed 003's `features`, seed 004's columnar `inputs`) and POST /batch_predict (`instances`). */
import { Hono } from 'hono';
import type { AppDeps } from '../app-deps.js';
import { readJsonBody, type RequestSource } from '../json-body.js';
import { predictionResponse, type PredictionResponse } from '../prediction-response.js';
import { parseBatchBody, parsePredictBody } from '../request-parsing.js';
import { runPrediction } from '../run-prediction.js';
import { wrongTask } from './tasks.js';

export type PredictRoute = '/predict' | '/batch_predict';

export function predictRoutes(deps: AppDeps): Hono {
  const routes = new Hono();
  routes.post('/predict', async (c) => c.json(await answerPredict(c, deps, '/predict')));
  routes.post('/batch_predict', async (c) => c.json(await answerPredict(c, deps, '/batch_predict')));
  return routes;
}

/** The answer of either route, read from a Hono context or (hot-routes.ts) straight from the Node request. */
export async function answerPredict(
  source: RequestSource,
  { model, metrics, maxBodyBytes }: AppDeps,
  route: PredictRoute,
): Promise<PredictionResponse> {
  const { backend, layout } = model.serving();
  if (backend.metadata.task.type === 'forecast') throw wrongTask(backend, route);
  const body = await readJsonBody(source, maxBodyBytes);
  const request = route === '/predict' ? parsePredictBody(body, layout) : parseBatchBody(body, layout);
  const { prediction, inferenceMs } = await runPrediction(backend, metrics, request.rows, request.rowCount);
  return predictionResponse(request, prediction, backend.metadata, inferenceMs);
}
