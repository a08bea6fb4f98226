/**
 * mlp init --github-actions: the workflow it writes for examples/fraud passes actionlint (built from its Go module)
 * with Debian's shellcheck on every run: script, and does what the seeds' workflows do; the IAM policies it prints are
 * accepted by moto's IAM (CreateRole with the trust policy, CreatePolicy with the permissions policy).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { benchStatus, describeWithBench, motoEndpoint } from './support/bench.js';
import { runMlp } from './support/run-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROLE = 'arn:aws:iam::123456789012:role/mlp-deploy';
const run = promisify(execFile);

/** A git work tree with examples/fraud in a subdirectory, its origin on github.com, and a lockfile at the root. */
function makeRepository(work: string): string {
  const repo = path.join(work, 'repo');
  mkdirSync(repo);
  mkdirSync(path.join(repo, 'services', 'fraud'), { recursive: true });
  cpSync(path.join(ROOT, 'examples', 'fraud', 'mlp.yaml'), path.join(repo, 'services', 'fraud', 'mlp.yaml'));
  writeFileSync(path.join(repo, 'package-lock.json'), '{}\n');
  mkdirSync(path.join(repo, '.git'));
  writeFileSync(path.join(repo, '.git', 'config'), '[remote "origin"]\n\turl = git@github.com:acme/ml-platform.git\n');
  writeFileSync(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  mkdirSync(path.join(repo, '.git', 'objects'));
  mkdirSync(path.join(repo, '.git', 'refs'));
  return repo;
}

const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_ACCOUNT_ID: '123456789012',
  ...extra,
});

async function actionlint(cwd: string, file: string): Promise<{ code: number; output: string }> {
  const { executable, shellcheck } = benchStatus().actionlint;
  return run(executable!, ['-shellcheck', shellcheck!, '-no-color', '-oneline', file], { cwd }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
  );
}

describe('mlp init --github-actions', () => {
  let work: string;
  let repo: string;
  let printed: { stdout: string; stderr: string; exitCode: number };

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-init-gha-'));
    repo = makeRepository(work);
    printed = await runMlp(['init', '--github-actions', '-C', 'services/fraud', '--profile', 'eks', '--role-arn', ROLE, '--json'], {
      cwd: repo,
      env: env(),
    });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes .github/workflows/mlp.yml at the repository root, for the project in its subdirectory', () => {
    expect(printed.exitCode, printed.stderr).toBe(0);
    const result = JSON.parse(printed.stdout) as { workflow: string; repository: string };
    expect(result.workflow).toBe(path.join(repo, '.github', 'workflows', 'mlp.yml'));
    expect(result.repository).toBe('acme/ml-platform');
  });

  it('deploys on a push to main with --skip-train, trains on dispatch or [train], one deploy per environment at a time', () => {
    const workflow = parse(readFileSync(path.join(repo, '.github', 'workflows', 'mlp.yml'), 'utf8'));
    expect(workflow.on.push).toEqual({ branches: ['main'] });
    expect(workflow.on.workflow_dispatch.inputs.train).toEqual({
      description: 'Train a new model version before deploying',
      type: 'boolean',
      default: false,
    });
    expect(workflow.on.workflow_dispatch.inputs.scale.options).toEqual(['none', 'up', 'down']);
    expect(workflow.on.schedule).toEqual([{ cron: '0 19 * * 1-5' }, { cron: '0 6 * * 1-5' }]);
    expect(workflow.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    expect(workflow.env).toMatchObject({ AWS_REGION: 'us-east-1', AWS_ACCOUNT_ID: '123456789012', MLP_DIR: 'services/fraud' });

    const { deploy, scale } = workflow.jobs;
    expect(deploy.environment).toBe('production');
    expect(deploy.concurrency).toEqual({ group: 'mlp-fraud-production', 'cancel-in-progress': false });
    expect(scale.concurrency).toEqual(deploy.concurrency);
    const credentials = deploy.steps.find((step: { uses?: string }) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(credentials.with).toEqual({ 'role-to-assume': ROLE, 'aws-region': '${{ env.AWS_REGION }}' });
    const cache = deploy.steps.find((step: { uses?: string }) => step.uses?.startsWith('actions/cache@'));
    expect(cache.with).toEqual({ path: 'node_modules', key: "node-modules-${{ runner.os }}-${{ hashFiles('package-lock.json') }}" });
    const mlp = deploy.steps.find((step: { id?: string }) => step.id === 'deploy');
    expect(mlp.env.TRAIN).toBe(
      "${{ (github.event_name == 'workflow_dispatch' && inputs.train) || contains(github.event.head_commit.message, '[train]') }}",
    );
    expect(mlp.run).toBe(
      'if [ "$TRAIN" = "true" ]; then\n  npx mlp deploy -C "$MLP_DIR" --profile eks\nelse\n  npx mlp deploy -C "$MLP_DIR" --profile eks --skip-train\nfi\n',
    );
    expect(deploy.outputs['rolled-back']).toBe('${{ steps.deploy.outputs.rolled-back }}');
    expect(scale.steps.at(-1).run).toBe('npx mlp scale "$DIRECTION" -C "$MLP_DIR" --profile eks --yes');
  });

  it('refuses to overwrite the workflow without --force', async () => {
    const again = await runMlp(['init', '--github-actions', '-C', 'services/fraud', '--profile', 'eks', '--role-arn', ROLE], {
      cwd: repo,
      env: env(),
    });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('mlp.yml already exists');
  });

  it('derives a least-privilege permissions policy from mlp.yaml', () => {
    const { permissionsPolicy, trustPolicy } = JSON.parse(printed.stdout) as {
      permissionsPolicy: { Statement: Array<{ Sid: string; Resource: string | string[] }> };
      trustPolicy: { Statement: Array<{ Condition: unknown }> };
    };
    expect(Object.fromEntries(permissionsPolicy.Statement.map((s) => [s.Sid, s.Resource]))).toEqual({
      EcrLogin: '*',
      EcrProjectRepositories: [
        'arn:aws:ecr:us-east-1:123456789012:repository/fraud/fraud',
        'arn:aws:ecr:us-east-1:123456789012:repository/fraud/training.job',
      ],
      EksCluster: 'arn:aws:eks:us-east-1:123456789012:cluster/ml-platform',
      EksNodegroupScale: 'arn:aws:eks:us-east-1:123456789012:nodegroup/ml-platform/ml-workers/*',
      TrainingArtifactsBucket: 'arn:aws:s3:::ml-platform-artifacts-123456789012',
      TrainingArtifactsRead: 'arn:aws:s3:::ml-platform-artifacts-123456789012/models/*',
    });
    expect(trustPolicy.Statement[0]!.Condition).toEqual({
      StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
      StringLike: {
        'token.actions.githubusercontent.com:sub': [
          'repo:acme/ml-platform:environment:production',
          'repo:acme/ml-platform:ref:refs/heads/main',
        ],
      },
    });
  });

  it('grants SageMaker InvokeEndpoint only on the endpoints services proxy', async () => {
    const project = path.join(work, 'platform');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      [
        'apiVersion: mlp/v1',
        'name: platform',
        'aws: { region: eu-west-1, accountId: "210987654321" }',
        'deploy: { target: eks }',
        'cluster: { name: ml }',
        'services:',
        '  - name: fraud',
        '    model: { source: sagemaker, endpoint: Cams-Fraud-Endpoint-1771690056, metadata: fraud.json }',
        '',
      ].join('\n'),
    );
    const result = await runMlp(['init', '--github-actions', '--repository', 'acme/platform', '--json'], { cwd: project, env: env() });
    expect(result.exitCode, result.stderr).toBe(0);
    const { permissionsPolicy } = JSON.parse(result.stdout) as { permissionsPolicy: { Statement: Array<{ Sid: string }> } };
    expect(permissionsPolicy.Statement).toEqual([
      {
        Sid: 'EksCluster',
        Effect: 'Allow',
        Action: ['eks:DescribeCluster', 'eks:ListNodegroups'],
        Resource: 'arn:aws:eks:eu-west-1:210987654321:cluster/ml',
      },
      {
        Sid: 'SageMakerEndpoints',
        Effect: 'Allow',
        Action: ['sagemaker:DescribeEndpoint', 'sagemaker:InvokeEndpoint'],
        Resource: ['arn:aws:sagemaker:eu-west-1:210987654321:endpoint/cams-fraud-endpoint-1771690056'],
      },
    ]);
    const workflow = parse(readFileSync(path.join(project, '.github', 'workflows', 'mlp.yml'), 'utf8'));
    expect(workflow.jobs.scale).toBeUndefined();
    expect(workflow.on.schedule).toBeUndefined();
    expect(workflow.jobs.deploy.steps.find((step: { id?: string }) => step.id === 'deploy').run).toContain('npx mlp deploy --skip-train');
    expect(
      workflow.jobs.deploy.steps.find((step: { uses?: string }) => step.uses?.startsWith('aws-actions/'))?.with['role-to-assume'],
    ).toBe('${{ vars.MLP_AWS_ROLE_ARN }}');
  });

  it('writes the policies under .github/iam/ with --iam', async () => {
    const result = await runMlp(
      ['init', '--github-actions', '-C', 'services/fraud', '--profile', 'eks', '--role-arn', ROLE, '--iam', '--force'],
      {
        cwd: repo,
        env: env(),
      },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const trust = JSON.parse(readFileSync(path.join(repo, '.github', 'iam', 'mlp-trust-policy.json'), 'utf8'));
    expect(trust).toEqual((JSON.parse(printed.stdout) as { trustPolicy: unknown }).trustPolicy);
    expect(result.stdout).toContain(`Wrote the role's trust policy to ${path.join(repo, '.github', 'iam', 'mlp-trust-policy.json')}`);
  });

  it('says which account is missing instead of writing a policy for none', async () => {
    const project = path.join(work, 'no-account');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      'apiVersion: mlp/v1\nname: x\nservices:\n  - name: x\n    model: { source: dir, path: model }\n',
    );
    const result = await runMlp(['init', '--github-actions', '--repository', 'acme/x'], { cwd: project, env: env() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('neither --role-arn nor aws.accountId in mlp.yaml names it');
  });

  describeWithBench(['actionlint'], 'the workflow under actionlint and shellcheck', () => {
    it('passes actionlint, shellcheck included', async () => {
      const lint = await actionlint(repo, '.github/workflows/mlp.yml');
      expect(lint.output).toBe('');
      expect(lint.code).toBe(0);
    });

    it('passes for a project at the repository root without a nodegroup', async () => {
      const lint = await actionlint(path.join(work, 'platform'), '.github/workflows/mlp.yml');
      expect(lint.output).toBe('');
      expect(lint.code).toBe(0);
    });

    it('would catch an untrusted commit message in a script and an unquoted variable (the linters really run)', async () => {
      const text = readFileSync(path.join(repo, '.github', 'workflows', 'mlp.yml'), 'utf8');
      const broken = text.replace(
        '      - name: mlp deploy\n',
        '      - run: echo "${{ github.event.head_commit.message }}" && cd $MLP_DIR\n      - name: mlp deploy\n',
      );
      expect(broken).not.toBe(text);
      writeFileSync(path.join(repo, '.github', 'workflows', 'broken.yml'), broken);
      const lint = await actionlint(repo, '.github/workflows/broken.yml');
      expect(lint.code).toBe(1);
      expect(lint.output).toContain('"github.event.head_commit.message" is potentially untrusted');
      expect(lint.output).toContain('SC2086');
    });
  });
});

describeWithBench(['moto'], "mlp init --github-actions policies in moto's IAM", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-init-iam-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const iamClient = async () => {
    const iam = await import('@aws-sdk/client-iam');
    return {
      iam,
      client: new iam.IAMClient({
        region: 'us-east-1',
        endpoint: motoEndpoint(),
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      }),
    };
  };

  it('CreateRole accepts the trust policy and CreatePolicy the permissions policy; the role takes the policy', async () => {
    const repo = makeRepository(work);
    const result = await runMlp(['init', '--github-actions', '-C', 'services/fraud', '--profile', 'eks', '--role-arn', ROLE, '--json'], {
      cwd: repo,
      env: env(),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const { trustPolicy, permissionsPolicy } = JSON.parse(result.stdout) as { trustPolicy: unknown; permissionsPolicy: unknown };
    const { iam, client } = await iamClient();
    const suffix = Date.now().toString(36);
    const role = await client.send(
      new iam.CreateRoleCommand({ RoleName: `mlp-deploy-${suffix}`, AssumeRolePolicyDocument: JSON.stringify(trustPolicy) }),
    );
    expect(role.Role?.Arn).toBe(`arn:aws:iam::123456789012:role/mlp-deploy-${suffix}`);
    const policy = await client.send(
      new iam.CreatePolicyCommand({ PolicyName: `mlp-deploy-${suffix}`, PolicyDocument: JSON.stringify(permissionsPolicy) }),
    );
    await client.send(new iam.AttachRolePolicyCommand({ RoleName: `mlp-deploy-${suffix}`, PolicyArn: policy.Policy!.Arn! }));
    const attached = await client.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: `mlp-deploy-${suffix}` }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyName)).toEqual([`mlp-deploy-${suffix}`]);
    const stored = await client.send(new iam.GetPolicyVersionCommand({ PolicyArn: policy.Policy!.Arn!, VersionId: 'v1' }));
    expect(JSON.parse(decodeURIComponent(stored.PolicyVersion!.Document!))).toEqual(permissionsPolicy);
  });

  it("moto's validation is real: a malformed permissions policy is refused", async () => {
    const { iam, client } = await iamClient();
    const malformed = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr', Resource: '*' }] };
    const refused = await client
      .send(new iam.CreatePolicyCommand({ PolicyName: `malformed-${Date.now().toString(36)}`, PolicyDocument: JSON.stringify(malformed) }))
      .then(
        () => undefined,
        (error: Error) => error,
      );
    expect(refused?.name).toBe('MalformedPolicyDocumentException');
  });
});
