/**
 * The GitHub Actions workflow `mlp init --github-actions` writes (.github/workflows/mlp.yml), as seeds 000 and 002
 * run theirs: a push to main deploys the current model (`--skip-train`); a manual run with `train` checked, or a
 * commit whose message says `[train]`, trains first. AWS access is GitHub's OIDC token exchanged for the role (no
 * stored keys); both jobs share one concurrency group per environment, so two deploys (or a deploy and a scale)
 * never overlap; the deploy runs in a GitHub environment, so production can require a reviewer. With a nodegroup,
 * a second job scales it down every weekday evening and up every morning, or when dispatched with `scale`.
 *
 * The text is a template rather than a serialised object: the comments are what makes it maintainable.
 */

export interface WorkflowOptions {
  project: string;
  /** The project directory relative to the repository root ('.' when mlp.yaml is at the root). */
  projectDir: string;
  profile: string | undefined;
  region: string;
  /** The AWS account (mlp.yaml may read it as \${AWS_ACCOUNT_ID}, as examples/fraud's eks profile does). */
  account: string;
  /** The role to assume; a repository variable (vars.MLP_AWS_ROLE_ARN) when not given. */
  roleArn: string | undefined;
  environment: string;
  branch: string;
  /** The nodegroup `mlp scale` sizes; no scale job without one. */
  nodegroup: string | undefined;
  /** The lockfile the node_modules cache is keyed on, relative to the repository root. */
  lockfile: string;
}

/** Weekday evenings and mornings, UTC: the nodegroup is at zero overnight. */
export const SCALE_DOWN_CRON = '0 19 * * 1-5';
export const SCALE_UP_CRON = '0 6 * * 1-5';

const quote = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export function githubWorkflow(options: WorkflowOptions): string {
  const scale = options.nodegroup !== undefined;
  const role = options.roleArn ?? '${{ vars.MLP_AWS_ROLE_ARN }}';
  const mlp = (...words: Array<string | undefined>): string =>
    [
      'npx mlp',
      ...words,
      options.projectDir === '.' ? undefined : '-C "$MLP_DIR"',
      options.profile ? `--profile ${options.profile}` : undefined,
    ]
      .filter(Boolean)
      .join(' ');
  const group = `mlp-${options.project}-${options.environment}`;

  const setup = `      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      # node_modules itself, keyed on the lockfile: a hit skips npm ci altogether.
      - id: node-modules
        uses: actions/cache@v4
        with:
          path: node_modules
          key: node-modules-\${{ runner.os }}-\${{ hashFiles(${quote(options.lockfile)}) }}
      - if: steps.node-modules.outputs.cache-hit != 'true'
        run: npm ci
      # OIDC: GitHub's token for this job is exchanged for the role's temporary credentials; no keys are stored.
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: ${role}
          aws-region: \${{ env.AWS_REGION }}`;

  const dispatchInputs = `    inputs:
      train:
        description: Train a new model version before deploying
        type: boolean
        default: false${
          scale
            ? `
      scale:
        description: Scale the nodegroup instead of deploying
        type: choice
        options: [none, up, down]
        default: none`
            : ''
        }`;

  const schedule = scale
    ? `
  schedule:
    - cron: ${quote(SCALE_DOWN_CRON)} # scale down, weekday evenings (UTC)
    - cron: ${quote(SCALE_UP_CRON)} # scale up, weekday mornings (UTC)`
    : '';

  const deployIf = scale
    ? `github.event_name == 'push' || (github.event_name == 'workflow_dispatch' && inputs.scale == 'none')`
    : `github.event_name == 'push' || github.event_name == 'workflow_dispatch'`;

  const scaleJob = scale
    ? `

  scale:
    if: github.event_name == 'schedule' || (github.event_name == 'workflow_dispatch' && inputs.scale != 'none')
    runs-on: ubuntu-latest
    environment: ${options.environment}
    # The same group as deploy: a scale waits for a running deploy and the other way round.
    concurrency:
      group: ${group}
      cancel-in-progress: false
    timeout-minutes: 30
    steps:
${setup}
      - name: mlp scale
        env:
          DIRECTION: \${{ github.event_name == 'schedule' && (github.event.schedule == ${quote(SCALE_DOWN_CRON)} && 'down' || 'up') || inputs.scale }}
        run: ${mlp('scale', '"$DIRECTION"')} --yes`
    : '';

  return `# Written by \`mlp init --github-actions\` for the mlp project ${options.project}. mlp groups its log per stage,
# annotates what failed (mlp.yaml's line for a config error), writes the step summary and sets the step outputs.
name: mlp

on:
  push:
    branches: [${options.branch}]
  workflow_dispatch:
${dispatchInputs}${schedule}

permissions:
  id-token: write # the OIDC token configure-aws-credentials exchanges for the role
  contents: read

env:
  AWS_REGION: ${options.region}
  AWS_ACCOUNT_ID: ${quote(options.account)}
  MLP_DIR: ${options.projectDir}
  # onnxruntime-node's optional CUDA download is not needed: mlp runs models on the CPU.
  ONNXRUNTIME_NODE_INSTALL: skip

jobs:
  deploy:
    if: ${deployIf}
    runs-on: ubuntu-latest
    environment: ${options.environment}
    # One deploy of ${options.project} to ${options.environment} at a time; a second waits instead of cancelling the first.
    concurrency:
      group: ${group}
      cancel-in-progress: false
    timeout-minutes: 60
    outputs:
      image: \${{ steps.deploy.outputs.image }}
      digest: \${{ steps.deploy.outputs.digest }}
      model-version: \${{ steps.deploy.outputs.model-version }}
      url: \${{ steps.deploy.outputs.url }}
      rolled-back: \${{ steps.deploy.outputs.rolled-back }}
    steps:
${setup}
      # A manual run with "train" checked, or a commit message with [train], trains a new version first.
      - name: mlp deploy
        id: deploy
        env:
          TRAIN: \${{ (github.event_name == 'workflow_dispatch' && inputs.train) || contains(github.event.head_commit.message, '[train]') }}
        run: |
          if [ "$TRAIN" = "true" ]; then
            ${mlp('deploy')}
          else
            ${mlp('deploy')} --skip-train
          fi${scaleJob}
`;
}
