/**
 * The train stage and `mlp train`: trains here (local-trainer.ts) or as a Job on the cluster (remote-trainer.ts,
 * training.remote.enabled), and registers the model as a new version. Nothing is registered unless every step
 * succeeds.
 */
import type { CommandContext } from '../context.js';
import { MlpError } from '../errors.js';
import { listVersions, type ModelVersion } from '../model/registry.js';
import { trainModel } from './local-trainer.js';
import type { TrainResult } from './train-result.js';

/** Loads mlp.yaml and trains, here or on the cluster (training.remote.enabled); `mlp train` and the deploy pipeline's train stage. */
export async function trainProject(context: CommandContext, signal: AbortSignal = context.signal): Promise<TrainResult> {
  const project = await context.loadConfig();
  const training = project.config.training;
  if (training === undefined) {
    throw new MlpError('config', `${project.file} has no training section, so there is nothing for mlp train to run.`, {
      hint: 'Add one to mlp.yaml, for example:\n  training:\n    command: python train.py --out ${MLP_OUTPUT_DIR}\n    requirements: requirements.txt   # relative to training.workdir (default: the directory of mlp.yaml)',
    });
  }
  if (training.remote?.enabled === true) {
    const { trainRemotely } = await import('./remote-trainer.js');
    return trainRemotely(context, signal);
  }
  return trainModel({
    projectDir: project.dir,
    name: project.config.name,
    training,
    env: context.io.env,
    signal,
    log: (line) => context.output.info(line),
  });
}

/** The registered versions of the project's model, newest first. */
export async function listProjectVersions(context: CommandContext): Promise<{ model: string; versions: ModelVersion[] }> {
  const project = await context.loadConfig();
  return { model: project.config.name, versions: await listVersions(project.dir, project.config.name) };
}

/** The deploy pipeline's train stage. */
export async function trainStage(context: CommandContext, signal: AbortSignal): Promise<TrainResult> {
  const result = await trainProject(context, signal);
  context.output.info(`trained ${result.model} ${result.version} → ${result.dir}`);
  return result;
}
