/**
 * The stage interface. Like Skaffold's runner (builder → tagger → pusher → renderer → deployer → status checker),
 * each stage returns one typed value and the runner hands every earlier value to the later stages: the deploy
 * stage applies the objects the render stage rendered instead of rendering again, and the test stage smoke-tests
 * what the deploy stage released.
 */
import type { CommandContext } from '../context.js';
import type { DeployResult } from '../deploy/deploy-result.js';
import type { ImageBuildResult } from '../image/builder.js';
import type { ImagePushResult } from '../image/pusher.js';
import type { RenderedForCluster } from '../render/stage.js';
import type { TrainResult } from '../train/train-result.js';
import type { SmokeTestResult } from '../verify/smoke-requests.js';
import type { PipelinePlan, StageName } from './plan.js';

/** What each stage hands on. */
export interface StageResults {
  train: TrainResult;
  build: ImageBuildResult[];
  push: ImagePushResult[];
  render: RenderedForCluster;
  deploy: DeployResult;
  test: SmokeTestResult[];
}

/** The results of the stages that ran before this one (a skipped stage has none). */
export type EarlierResults = Readonly<Partial<StageResults>>;

/** What the runner hands a stage. */
export interface StageRun {
  readonly context: CommandContext;
  readonly plan: PipelinePlan;
  readonly earlier: EarlierResults;
  /** The stage's task signal: aborted on Ctrl-C. */
  readonly signal: AbortSignal;
}

export type Stage<Name extends StageName> = (run: StageRun) => Promise<StageResults[Name]>;

export type Stages = { readonly [Name in StageName]: Stage<Name> };
