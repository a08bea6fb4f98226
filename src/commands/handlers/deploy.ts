import type { CommandHandler } from '../../lib/command.js';
import { UsageError } from '../../lib/errors.js';
import type { StageName } from '../../lib/pipeline/plan.js';

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
  // The whole run, training included: a second deploy of the project must not build or apply alongside this one.
  await withProjectLock(context, 'deploy', { wait: options.wait === true, signal: context.signal }, () => runPipeline(context, plan));
  context.output.result({ project: project.config.name, profile: project.profile, plan }, '');
};
export default deploy;
