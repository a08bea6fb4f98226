import type { CommandHandler } from '../../lib/command.js';
import { UsageError } from '../../lib/errors.js';
import type { StageName } from '../../lib/pipeline/plan.js';
import type { PipelineProgress } from '../../lib/pipeline/runner.js';

/** What `mlp deploy` is given: src/commands/deploy.ts declares the flags, and defineCommand checks they match. */
interface DeployOptions {
  target?: 'local' | 'eks';
  namespace?: string;
  skipTrain?: boolean;
  skipBuild?: boolean;
  skipPush?: boolean;
  skipRender?: boolean;
  skipDeploy?: boolean;
  skipTest?: boolean;
  /** true for a bare --dry-run, the value of --dry-run=<where> otherwise. */
  dryRun?: string | true;
  /** false with --no-rollback. */
  rollback: boolean;
  /** --wait: wait for the project's lock instead of exiting 7. */
  wait?: boolean;
}

const deploy: CommandHandler<DeployOptions> = async (context, options) => {
  const [{ planPipeline }, { runPipeline }, { formatPlan }, { withProjectLock }] = await Promise.all([
    import('../../lib/pipeline/plan.js'),
    import('../../lib/pipeline/runner.js'),
    import('../../lib/pipeline/format-plan.js'),
    import('../../lib/lock/project-lock.js'),
  ]);
  const project = await context.loadConfig({
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.rollback ? {} : { rollback: false }),
  });
  const skips: Record<StageName, boolean> = {
    train: options.skipTrain === true,
    build: options.skipBuild === true,
    push: options.skipPush === true,
    render: options.skipRender === true,
    deploy: options.skipDeploy === true,
    test: options.skipTest === true,
  };
  const plan = planPipeline(project.config, skips);

  if (options.dryRun === 'server') {
    if (plan.target !== 'eks')
      throw new UsageError('--dry-run=server sends manifests to a cluster; it needs the eks target (--target eks).');
    const { deployToCluster } = await import('../../lib/deploy/eks.js');
    const result = await deployToCluster(context, { dryRun: true });
    context.output.result({ dryRun: 'server', project: project.config.name, profile: project.profile, plan, applied: result.applied }, () =>
      result.applied.map((object) => `${object.kind}/${object.name}: would be ${object.action}`).join('\n'),
    );
    return;
  }
  if (options.dryRun !== undefined && options.dryRun !== true && options.dryRun !== 'client') {
    throw new UsageError(`--dry-run=${options.dryRun}: use --dry-run (the plan) or --dry-run=server.`);
  }
  if (options.dryRun !== undefined) {
    context.output.result({ dryRun: true, project: project.config.name, profile: project.profile, plan }, () =>
      formatPlan(project, plan, context.output.color),
    );
    return;
  }
  // Inside a GitHub Actions run: credentials in the config masked first, the step summary and outputs written last.
  const actions = context.output.actions?.core;
  if (actions) {
    const { maskConfiguredEnv } = await import('../../lib/github-actions/masking.js');
    maskConfiguredEnv(actions, [...project.config.services.map((service) => service.env), project.config.training?.env]);
  }
  const progress: PipelineProgress = { results: {}, seconds: {} };
  const report = async (error: unknown): Promise<void> => {
    if (!actions) return;
    const { reportDeploy } = await import('../../lib/github-actions/report.js');
    await reportDeploy(actions, { project, plan, progress, run: context }, error);
  };
  // The whole run, training included: a second deploy of the project must not build or apply alongside this one.
  const results = await withProjectLock(context, 'deploy', { wait: options.wait === true, signal: context.signal }, () =>
    runPipeline(context, plan, undefined, progress),
  ).catch(async (error: unknown) => {
    await report(error);
    throw error;
  });
  await report(undefined);
  // On this machine the service's own page (serving/src/routes/ui.ts) is the quickest way to look at the model.
  const pages = results.deploy?.target === 'local' ? results.deploy.services.map(({ service, url }) => ({ service, url: `${url}/` })) : [];
  context.output.result({ project: project.config.name, profile: project.profile, plan, ...(pages.length > 0 ? { pages } : {}) }, () =>
    pages.map(({ service, url }) => `${service}: try the model at ${url}`).join('\n'),
  );
};
export default deploy;
