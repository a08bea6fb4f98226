/**
 * Which stages `mlp deploy` runs, and why the others are skipped. Pure data, so `--dry-run`, `--json` and
 * the runner all read the same decision.
 */
import type { MlpConfig } from '../config/schema.js';

export const STAGE_NAMES = ['train', 'build', 'push', 'render', 'deploy', 'test'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** The --skip-<stage> flags, as commander hands them over (`skipTrain`, …). */
export type StageSkips = Partial<Record<StageName, boolean>>;

export interface PlannedStage {
  name: StageName;
  action: 'run' | 'skip';
  /** Why the stage is skipped, or what it will do. */
  reason: string;
}

export interface PipelinePlan {
  target: 'local' | 'eks';
  stages: PlannedStage[];
}

type PlanInput = Pick<MlpConfig, 'deploy' | 'services'> & { training?: { remote?: { enabled?: boolean } | undefined } | undefined };

export function planPipeline(config: PlanInput, skips: StageSkips): PipelinePlan {
  const target = config.deploy.target;
  const services = config.services.map((service) => service.name).join(', ');
  const trainsModel = config.services.some((service) => service.model.source === 'training');

  const decide = (name: StageName, runReason: string, skipReason?: string | false): PlannedStage => {
    if (skips[name]) return { name, action: 'skip', reason: `--skip-${name}` };
    if (skipReason) return { name, action: 'skip', reason: skipReason };
    return { name, action: 'run', reason: runReason };
  };

  const stages: PlannedStage[] = [
    decide(
      'train',
      config.training?.remote?.enabled
        ? 'build and push the training image, run training.command as a Job on the cluster, register the model it uploads'
        : 'run training.command and register a new model version',
      config.training === undefined ? 'mlp.yaml has no training section' : !trainsModel && 'no service serves the trained model',
    ),
    decide('build', `build images for ${services}`),
    decide('push', 'push images and record their digests', target === 'local' && 'the local target runs images from the local engine'),
    decide('render', 'render manifests from templates/k8s', target === 'local' && 'the local target runs containers, not manifests'),
    decide(
      'deploy',
      target === 'local' ? `start ${services} on this machine` : `apply to the cluster and watch the rollout of ${services}`,
    ),
    decide('test', 'smoke-test each service with its smoke payloads'),
  ];
  return { target, stages };
}

/** Whether the plan runs `name` (a stage that prepares for a later one does only what that one needs). */
export function planRuns(plan: PipelinePlan, name: StageName): boolean {
  return plan.stages.some((stage) => stage.name === name && stage.action === 'run');
}
