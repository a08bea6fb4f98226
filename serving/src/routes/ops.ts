/** Probes, model metadata, Prometheus metrics and the OpenAPI document. */
import { Hono } from 'hono';
import type { AppDeps } from '../app-deps.js';
import { buildOpenApiDocument } from '../openapi.js';

export function opsRoutes({ model, metrics }: AppDeps): Hono {
  const routes = new Hono();

  // Liveness: the process answers. A model that is still loading is not a reason to restart the pod.
  routes.get('/health', (c) =>
    c.json({
      status: 'healthy',
      model_loaded: model.warmedUp,
      model_name: model.backend?.metadata.model_name ?? null,
      model_version: model.backend?.metadata.model_version ?? null,
      timestamp: new Date().toISOString(),
    }),
  );

  routes.get('/ready', (c) => {
    if (model.ready) return c.json({ status: 'ready', model_name: model.backend?.metadata.model_name ?? null });
    const reason = model.draining ? 'shutting down' : model.backend === undefined ? 'loading the model' : 'warming up the model';
    return c.json({ status: model.draining ? 'draining' : 'not_ready', reason }, 503);
  });

  routes.get('/metadata', (c) => {
    const { backend } = model.serving();
    const { metadata } = backend;
    return c.json({
      model_name: metadata.model_name,
      model_version: metadata.model_version,
      model_type: metadata.model_type,
      feature_names: metadata.feature_names,
      classes: metadata.classes,
      training_metrics: metadata.training_metrics,
      created_at: metadata.created_at,
      loaded_at: model.loadedAt,
      backend: backend.kind,
      ...(backend.endpoint === undefined ? {} : { sagemaker_endpoint: backend.endpoint }),
      task: metadata.task,
      ...(metadata.feature_types === undefined ? {} : { feature_types: metadata.feature_types }),
      ...(metadata.feature_examples === undefined ? {} : { feature_examples: metadata.feature_examples }),
    });
  });

  routes.get('/metrics', async (c) => {
    const text = await metrics.registry.metrics();
    return c.body(text, 200, { 'Content-Type': metrics.registry.contentType });
  });

  // Built per request: a few microseconds, and it reflects the model once it has loaded.
  routes.get('/openapi.json', (c) => c.json(buildOpenApiDocument(model.backend?.metadata)));

  return routes;
}
