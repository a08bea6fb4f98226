import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'deploy',
  summary: 'Train, build, push, render, deploy and smoke-test in one go (rolls back on failure)',
  description:
    'Runs the pipeline train → build → push → render → deploy → test for every service in mlp.yaml, on EKS or on this machine (--target local). Stages can be skipped with --skip-<stage>; --dry-run prints the plan only.',
  examples: ['mlp deploy -C examples/fraud --target local', 'mlp deploy --skip-train --skip-test', 'mlp deploy --dry-run --json'],
  options: {
    target: option('--target <target>', 'where to run the services', { choices: ['local', 'eks'] }),
    namespace: option('--namespace <name>', 'Kubernetes namespace (default: cluster.namespace)'),
    // One per stage of the pipeline (STAGE_NAMES in src/lib/pipeline/plan.ts); the handler's skips must name them all.
    skipTrain: option('--skip-train', 'skip the train stage'),
    skipBuild: option('--skip-build', 'skip the build stage'),
    skipPush: option('--skip-push', 'skip the push stage'),
    skipRender: option('--skip-render', 'skip the render stage'),
    skipDeploy: option('--skip-deploy', 'skip the deploy stage'),
    skipTest: option('--skip-test', 'skip the test stage'),
    dryRun: option(
      '--dry-run [where]',
      'change nothing: print the plan; --dry-run=server also sends the manifests to the cluster as a server-side dry run',
    ),
    rollback: option('--no-rollback', 'keep a failed rollout in place for inspection'),
    wait: option('--wait', 'wait for another deploy, rollback or scale of this project to finish instead of exiting 7'),
  },
  handler: () => import('./handlers/deploy.js'),
});
