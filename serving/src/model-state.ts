/**
 * Where the process is in its life: loading the model, warmed up and serving, or draining after SIGTERM.
 * The server listens before the model is loaded, so liveness answers at once while readiness waits for the
 * warm-up; during drain readiness turns 503 while predictions keep being served until the listener closes.
 */
import type { ModelBackend } from './backend.js';
import { BackendUnavailableError } from './errors.js';
import { featureLayout, type FeatureLayout } from './request-parsing.js';

export class ModelState {
  backend: ModelBackend | undefined;
  layout: FeatureLayout | undefined;
  /** ISO time at which the backend finished warming up. */
  loadedAt: string | undefined;
  warmedUp = false;
  draining = false;

  /** Accepting traffic: the readiness probe's answer. */
  get ready(): boolean {
    return this.warmedUp && !this.draining;
  }

  setBackend(backend: ModelBackend): void {
    this.backend = backend;
    this.layout = featureLayout(backend.metadata.feature_names);
  }

  markWarmedUp(now: Date = new Date()): void {
    this.warmedUp = true;
    this.loadedAt = now.toISOString();
  }

  /** The backend and its feature layout, or a 503 while it is still loading. */
  serving(): { backend: ModelBackend; layout: FeatureLayout } {
    const { backend, layout } = this;
    if (!this.warmedUp || backend === undefined || layout === undefined) {
      throw new BackendUnavailableError('the model is still loading; retry when GET /ready answers 200');
    }
    return { backend, layout };
  }
}
