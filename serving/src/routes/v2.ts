/**
 * Open Inference Protocol v2 (KServe, Triton, Seldon): clients and load tests written for those servers work
 * against mlp's too. One model per server; any other name is a 404. Versioned URLs accept only the loaded version.
 */
import { Hono, type Context } from 'hono';
import type { AppDeps } from '../app-deps.js';
import type { ModelBackend } from '../backend.js';
import { ServingError } from '../errors.js';
import { readJsonBody } from '../json-body.js';
import type { ModelState } from '../model-state.js';
import { parseV2InferBody } from '../request-parsing.js';
import { runPrediction } from '../run-prediction.js';

export function v2Routes({ model, metrics, maxBodyBytes }: AppDeps): Hono {
  const routes = new Hono();

  routes.get('/v2', (c) => c.json({ name: 'mlp-serving', version: '1', extensions: [] }));
  routes.get('/v2/health/live', (c) => c.json({ live: true }));
  routes.get('/v2/health/ready', (c) => c.json({ ready: model.ready }, model.ready ? 200 : 503));

  const modelMetadata = (c: Context) => {
    const backend = namedBackend(model, c);
    const { metadata } = backend;
    return c.json({
      name: metadata.model_name,
      versions: [metadata.model_version],
      platform: backend.kind,
      inputs: [{ name: backend.inputName, datatype: 'FP32', shape: [-1, metadata.feature_names.length] }],
      outputs: [
        { name: 'label', datatype: labelDatatype(backend), shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, metadata.classes.length] },
      ],
      parameters: { feature_names: metadata.feature_names, classes: metadata.classes },
    });
  };
  routes.get('/v2/models/:name', modelMetadata);
  routes.get('/v2/models/:name/versions/:version', modelMetadata);

  const modelReady = (c: Context) => {
    const backend = namedBackend(model, c);
    return c.json({ name: backend.metadata.model_name, ready: model.ready }, model.ready ? 200 : 503);
  };
  routes.get('/v2/models/:name/ready', modelReady);
  routes.get('/v2/models/:name/versions/:version/ready', modelReady);

  const infer = async (c: Context) => {
    namedBackend(model, c);
    const { backend, layout } = model.serving();
    const request = parseV2InferBody(await readJsonBody(c, maxBodyBytes), layout, backend.inputName);
    const { prediction } = await runPrediction(backend, metrics, request.rows, request.rowCount);
    const { metadata } = backend;
    const outputs = [];
    if (request.outputs === undefined || request.outputs.includes('label')) {
      outputs.push({ name: 'label', datatype: labelDatatype(backend), shape: [request.rowCount], data: prediction.labels });
    }
    if (request.outputs === undefined || request.outputs.includes('probabilities')) {
      outputs.push({
        name: 'probabilities',
        datatype: 'FP32',
        shape: [request.rowCount, metadata.classes.length],
        data: Array.from(prediction.probabilities),
      });
    }
    return c.json({
      model_name: metadata.model_name,
      model_version: metadata.model_version,
      ...(request.id === undefined ? {} : { id: request.id }),
      outputs,
    });
  };
  routes.post('/v2/models/:name/infer', infer);
  routes.post('/v2/models/:name/versions/:version/infer', infer);

  return routes;
}

/** The backend when the URL names the loaded model (and version, if given); a 404 otherwise. */
function namedBackend(model: ModelState, c: Context): ModelBackend {
  const { backend } = model;
  if (backend === undefined)
    throw new ServingError(503, 'backend_unavailable', 'the model is still loading; retry when GET /v2/health/ready answers 200');
  const name = c.req.param('name');
  const version = c.req.param('version');
  const { model_name: loadedName, model_version: loadedVersion } = backend.metadata;
  if (name !== loadedName) throw new ServingError(404, 'model_not_found', `no model named "${name}"; this server serves "${loadedName}"`);
  if (version !== undefined && version !== loadedVersion) {
    throw new ServingError(
      404,
      'model_not_found',
      `model "${name}" has no version "${version}"; this server serves version "${loadedVersion}"`,
    );
  }
  return backend;
}

function labelDatatype(backend: ModelBackend): 'INT64' | 'BYTES' {
  return typeof backend.metadata.classes[0] === 'number' ? 'INT64' : 'BYTES';
}
