/**
 * Strings the stages together as tasks, in the plan's order. Each stage's result is handed to the later ones
 * (stage.ts), so nothing is done twice: the deploy stage applies what the render stage rendered, the cluster is
 * reached once, and the test stage checks what the deploy stage released.
 */
import type { CommandContext } from '../context.js';
import { runTasks } from '../tasks.js';
import { planRuns, type PipelinePlan, type StageName } from './plan.js';
import type { Stage, StageResults, Stages } from './stage.js';

/**
 * What runs each stage on a target, and what it takes from the earlier ones. The stage modules know nothing of the
 * pipeline: this is the one place that wires them, each loaded only when its stage runs.
 */
export function stagesFor(target: PipelinePlan['target']): Stages {
  return {
    train: ({ context, signal }) => import('../train/stage.js').then(({ trainStage }) => trainStage(context, signal)),
    build: ({ context }) => import('../image/builder.js').then(({ buildStage }) => buildStage(context)),
    push: ({ context }) => import('../image/pusher.js').then(({ pushStage }) => pushStage(context)),
    render: ({ context, plan }) => import('../render/stage.js').then(({ renderStage }) => renderStage(context, planRuns(plan, 'deploy'))),
    deploy: async ({ context, earlier }) =>
      (await (await import('../deploy/deployer.js')).deployerFor(target)).deploy(context, earlier.render),
    test: async ({ context }) => (await (await import('../verify/verifier.js')).verifierFor(target)).verify(context),
  };
}

/** What a run got through, kept by the caller so a failed run still reports it (the step summary). */
export interface PipelineProgress {
  results: Partial<StageResults>;
  /** Seconds each stage that started took, a failed one included. */
  seconds: Partial<Record<StageName, number>>;
  /** The stage that failed, when one did. */
  failed?: StageName;
}

/** Runs the plan's stages in order and resolves with what each stage that ran returned. */
export async function runPipeline(
  context: CommandContext,
  plan: PipelinePlan,
  stages: Stages = stagesFor(plan.target),
  progress: PipelineProgress = { results: {}, seconds: {} },
): Promise<Partial<StageResults>> {
  const { results } = progress;
  const runStage = async <Name extends StageName>(name: Name, signal: AbortSignal): Promise<void> => {
    const stage = stages[name] as Stage<Name>;
    const started = Date.now();
    try {
      results[name] = await stage({ context, plan, earlier: { ...results }, signal });
    } catch (error) {
      progress.failed = name;
      throw error;
    } finally {
      progress.seconds[name] = (Date.now() - started) / 1000;
    }
    if (name === 'build') warnRebuilds(context, results.build ?? []);
  };
  await runTasks(
    context.output,
    plan.stages.map((stage) => ({
      title: stage.name,
      skip: stage.action === 'skip' ? stage.reason : false,
      run: (signal: AbortSignal) => runStage(stage.name, signal),
    })),
    context.signal,
  );
  return results;
}

/** In a workflow run, a rebuilt image is a warning annotation that says which input changed. */
function warnRebuilds(context: CommandContext, images: StageResults['build']): void {
  const actions = context.output.actions?.core;
  if (!actions) return;
  for (const image of images)
    if (image.action === 'built')
      actions.warning(`${image.service}: rebuilt ${image.image} (${image.reasons.join(', ')})`, { title: 'mlp: image rebuilt' });
}
