/** POST /predict (seed 003's `features`, seed 004's columnar `inputs`) and POST /batch_predict (`instances`). */
import { Hono } from 'hono';
import type { AppDeps } from '../app-deps.js';
import { readJsonBody } from '../json-body.js';
import { predictionResponse } from '../prediction-response.js';
import { parseBatchBody, parsePredictBody } from '../request-parsing.js';
import { runPrediction } from '../run-prediction.js';
import { wrongTask } from './tasks.js';

export function predictRoutes({ model, metrics, maxBodyBytes }: AppDeps): Hono {
  const routes = new Hono();

  routes.post('/predict', async (c) => {
    const { backend, layout } = model.serving();
    if (backend.metadata.task.type === 'forecast') throw wrongTask(backend, '/predict');
    const request = parsePredictBody(await readJsonBody(c, maxBodyBytes), layout);
    const { prediction, inferenceMs } = await runPrediction(backend, metrics, request.rows, request.rowCount);
    return c.json(predictionResponse(request, prediction, backend.metadata, inferenceMs));
  });

  routes.post('/batch_predict', async (c) => {
    const { backend, layout } = model.serving();
    if (backend.metadata.task.type === 'forecast') throw wrongTask(backend, '/batch_predict');
    const request = parseBatchBody(await readJsonBody(c, maxBodyBytes), layout);
    const { prediction, inferenceMs } = await runPrediction(backend, metrics, request.rows, request.rowCount);
    return c.json(predictionResponse(request, prediction, backend.metadata, inferenceMs));
  });

  return routes;
}
