/**
 * Strings the stages together: checks up front that every stage the plan runs is available, so a
 * deploy never stops half-way because a stage is missing, then runs them in order as tasks.
 */
import type { CommandContext } from '../context.js';
import { NotImplementedError } from '../errors.js';
import { runTasks } from '../tasks.js';
import type { PipelinePlan, StageName } from './plan.js';

/** One stage's implementation; the runner hands each the same context. */
export type StageRunner = (context: CommandContext, signal: AbortSignal) => Promise<void>;

/** Stages that are not built yet name the issue that builds them. */
export type StageImplementations = Record<StageName, StageRunner | { plannedIn: string }>;

/** What runs each stage on a target: the local target runs containers on this machine's engine. */
export function stageImplementations(target: PipelinePlan['target']): StageImplementations {
  const local = target === 'local';
  return {
    train: (context, signal) => import('../train/local-trainer.js').then(({ trainStage }) => trainStage(context, signal)),
    build: (context) => import('../image/builder.js').then(({ buildStage }) => buildStage(context)),
    push: (context) => import('../image/pusher.js').then(({ pushStage }) => pushStage(context)),
    render: (context) => import('../deploy/eks.js').then(({ renderStage }) => renderStage(context)),
    deploy: local
      ? (context) => import('../deploy/local.js').then(async ({ deployLocalStage }) => void (await deployLocalStage(context)))
      : (context) => import('../deploy/eks.js').then(({ deployEksStage }) => deployEksStage(context)),
    test: local
      ? (context) => import('../deploy/local.js').then(({ smokeTestLocalStage }) => smokeTestLocalStage(context))
      : (context) => import('../verify/cluster.js').then(({ smokeTestClusterStage }) => smokeTestClusterStage(context)),
  };
}

export function missingStages(plan: PipelinePlan, stages: StageImplementations = stageImplementations(plan.target)) {
  return plan.stages
    .filter((stage) => stage.action === 'run')
    .flatMap((stage) => {
      const implementation = stages[stage.name];
      return typeof implementation === 'function' ? [] : [{ name: stage.name, plannedIn: implementation.plannedIn }];
    });
}

export async function runPipeline(
  context: CommandContext,
  plan: PipelinePlan,
  stages: StageImplementations = stageImplementations(plan.target),
): Promise<void> {
  const missing = missingStages(plan, stages);
  if (missing.length > 0) {
    const list = missing.map((stage) => `${stage.name} (${stage.plannedIn})`).join(', ');
    throw new NotImplementedError(`The ${missing.length === 1 ? 'stage' : 'stages'} ${list}`);
  }
  await runTasks(
    context.output,
    plan.stages.map((stage) => {
      const implementation = stages[stage.name];
      return {
        title: stage.name,
        skip: stage.action === 'skip' ? stage.reason : false,
        run: (signal: AbortSignal) => (typeof implementation === 'function' ? implementation(context, signal) : Promise.resolve()),
      };
    }),
    context.signal,
  );
}
