import { Option } from 'commander';
import { defineCommand } from '../lib/command.js';
import { UsageError } from '../lib/errors.js';
import { STAGE_NAMES, type StageSkips } from '../lib/pipeline/plan.js';

export default defineCommand({
  usage: 'deploy',
  summary: 'Train, build, push, render, deploy and smoke-test in one go (rolls back on failure)',
  description:
    'Runs the pipeline train → build → push → render → deploy → test for every service in mlp.yaml, on EKS or on this machine (--target local). Stages can be skipped with --skip-<stage>; --dry-run prints the plan only.',
  examples: [
    'mlp deploy -C examples/fraud --target local',
    'mlp deploy --skip-train --skip-test',
    'mlp deploy --dry-run --json',
  ],
  configure(command) {
    command.addOption(new Option('--target <target>', 'where to run the services').choices(['local', 'eks']));
    command.option('--namespace <name>', 'Kubernetes namespace (default: cluster.namespace)');
    for (const stage of STAGE_NAMES) command.option(`--skip-${stage}`, `skip the ${stage} stage`);
    command
      .option('--dry-run [where]', 'change nothing: print the plan; --dry-run=server also sends the manifests to the cluster as a server-side dry run')
      .option('--no-rollback', 'keep a failed rollout in place for inspection');
  },
  async run(context, options) {
    const [{ planPipeline }, { runPipeline, missingStages }, { formatPlan }] = await Promise.all([
      import('../lib/pipeline/plan.js'),
      import('../lib/pipeline/runner.js'),
      import('../lib/pipeline/format-plan.js'),
    ]);
    const project = await context.loadConfig({
      ...(typeof options.target === 'string' ? { target: options.target as 'local' | 'eks' } : {}),
      ...(typeof options.namespace === 'string' ? { namespace: options.namespace } : {}),
      ...(options.rollback === false ? { rollback: false } : {}),
    });
    const skips: StageSkips = Object.fromEntries(
      STAGE_NAMES.map((stage) => [stage, options[`skip${stage[0]!.toUpperCase()}${stage.slice(1)}`] === true]),
    );
    const plan = planPipeline(project.config, skips);

    if (options.dryRun === 'server') {
      if (plan.target !== 'eks') throw new UsageError('--dry-run=server sends manifests to a cluster; it needs the eks target (--target eks).');
      const { deployToCluster } = await import('../lib/deploy/eks.js');
      const result = await deployToCluster(context, { dryRun: true });
      context.output.result({ dryRun: 'server', project: project.config.name, profile: project.profile, plan, applied: result.applied }, () =>
        result.applied.map((object) => `${object.kind}/${object.name}: would be ${object.action}`).join('\n'),
      );
      return;
    }
    if (options.dryRun !== undefined && options.dryRun !== true && options.dryRun !== 'client') {
      throw new UsageError(`--dry-run=${String(options.dryRun)}: use --dry-run (the plan) or --dry-run=server.`);
    }
    if (options.dryRun !== undefined) {
      const missing = missingStages(plan);
      context.output.result({ dryRun: true, project: project.config.name, profile: project.profile, plan, notBuilt: missing }, () =>
        formatPlan(project, plan, missing, context.output.color),
      );
      return;
    }
    await runPipeline(context, plan);
    context.output.result({ project: project.config.name, profile: project.profile, plan }, '');
  },
});
