/** What training hands on, wherever it ran: the registered version and how it was made. */
import type { RegisteredModel } from '../model/staged-version.js';

export interface TrainResult extends RegisteredModel {
  venv: { dir: string; created: boolean; seconds: number } | undefined;
  trainingSeconds: number;
  /** Where it trained, when on the cluster. */
  remote?: { job: string; namespace: string; cluster: string; artifacts: string; pod: string } | undefined;
}
