/**
 * `mlp init --github-actions`: writes .github/workflows/mlp.yml at the repository's root for the project's mlp.yaml,
 * and prints (or, with --iam, writes beside it) the IAM trust and permissions policies of the role it assumes.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProjectConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { captureOutput } from '../exec.js';
import { githubWorkflow } from './github-workflow.js';
import { permissionsPolicy, trustPolicy, type PolicyDocument } from './iam-policies.js';

export interface GithubActionsInitOptions {
  project: ProjectConfig;
  env: Record<string, string | undefined>;
  cluster?: string;
  roleArn?: string;
  /** owner/name; default: the origin remote's (or GITHUB_REPOSITORY). */
  repository?: string;
  environment: string;
  branch: string;
  /** Write the policies as files too. */
  iam: boolean;
  force: boolean;
}

export interface GithubActionsInit {
  workflow: string;
  repository: string;
  roleArn: string | null;
  trustPolicy: PolicyDocument;
  permissionsPolicy: PolicyDocument;
  /** Where --iam wrote the policies. */
  policyFiles: { trust: string; permissions: string } | null;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]+$/;

export async function initGithubActions(options: GithubActionsInitOptions): Promise<GithubActionsInit> {
  const { project } = options;
  const { config } = project;
  const account = accountOf(options.roleArn, config.aws.accountId);
  const root = await repositoryRoot(project.dir);
  const repository = options.repository ?? (await repositoryName(root, options.env));
  const cluster = options.cluster ?? config.cluster?.name;
  if (config.deploy.target === 'eks' && cluster === undefined) {
    throw new UsageError('The eks target needs a cluster for the workflow and its policy.', {
      hint: 'set cluster.name in mlp.yaml or pass --cluster <name>',
    });
  }
  const projectDir = path.relative(root, project.dir).split(path.sep).join('/') || '.';
  const lockfile = (await exists(path.join(root, 'package-lock.json'))) ? 'package-lock.json' : '**/package-lock.json';
  const text = githubWorkflow({
    project: config.name,
    projectDir,
    profile: project.profile ?? undefined,
    region: config.aws.region,
    account,
    roleArn: options.roleArn,
    environment: options.environment,
    branch: options.branch,
    nodegroup: config.deploy.target === 'eks' ? config.cluster?.nodegroup : undefined,
    lockfile,
  });
  const target = { account, region: config.aws.region, repository, environment: options.environment, branch: options.branch, cluster };
  const trust = trustPolicy(target);
  const permissions = permissionsPolicy(config, target);

  const workflow = path.join(root, '.github', 'workflows', 'mlp.yml');
  await mkdir(path.dirname(workflow), { recursive: true });
  await writeNew(workflow, text, options.force);
  let policyFiles: GithubActionsInit['policyFiles'] = null;
  if (options.iam) {
    const dir = path.join(root, '.github', 'iam');
    await mkdir(dir, { recursive: true });
    policyFiles = { trust: path.join(dir, 'mlp-trust-policy.json'), permissions: path.join(dir, 'mlp-permissions-policy.json') };
    await writeNew(policyFiles.trust, `${JSON.stringify(trust, null, 2)}\n`, options.force);
    await writeNew(policyFiles.permissions, `${JSON.stringify(permissions, null, 2)}\n`, options.force);
  }
  return { workflow, repository, roleArn: options.roleArn ?? null, trustPolicy: trust, permissionsPolicy: permissions, policyFiles };
}

function accountOf(roleArn: string | undefined, configured: string | undefined): string {
  if (roleArn !== undefined) {
    const match = ROLE_ARN.exec(roleArn);
    if (!match)
      throw new UsageError(`--role-arn ${roleArn} is not an IAM role ARN.`, { hint: 'e.g. arn:aws:iam::123456789012:role/mlp-deploy' });
    if (configured !== undefined && configured !== match[1]) {
      throw new UsageError(`--role-arn is in account ${match[1]}, and mlp.yaml's aws.accountId is ${configured}.`, {
        hint: 'the role must be in the account mlp deploys to',
      });
    }
    return match[1]!;
  }
  if (configured !== undefined) return configured;
  throw new UsageError('The IAM policies need the AWS account: neither --role-arn nor aws.accountId in mlp.yaml names it.', {
    hint: 'pass --role-arn arn:aws:iam::<account>:role/<name> (the role the workflow assumes), or set aws.accountId',
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** The work tree's top directory (where .github/ belongs), or the project's directory outside git. */
async function repositoryRoot(dir: string): Promise<string> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (await exists(path.join(at, '.git'))) return at;
    if (path.dirname(at) === at) return path.resolve(dir);
  }
}

/** owner/name from GITHUB_REPOSITORY or the origin remote (https://github.com/o/r.git, git@github.com:o/r.git). */
async function repositoryName(root: string, env: Record<string, string | undefined>): Promise<string> {
  if (env.GITHUB_REPOSITORY) return env.GITHUB_REPOSITORY;
  const remote = await captureOutput('git', ['config', '--get', 'remote.origin.url'], { cwd: root, baseEnv: env });
  const match = remote ? /github\.com[:/]([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(remote.trim()) : null;
  if (match) return match[1]!;
  throw new UsageError('The trust policy needs the GitHub repository, and there is no github.com origin remote to read it from.', {
    hint: 'pass --repository <owner>/<name>',
  });
}

async function writeNew(file: string, text: string, force: boolean): Promise<void> {
  try {
    await writeFile(file, text, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`${file} already exists; mlp init leaves it as it is.`, { hint: 'Pass --force to overwrite it.' });
    }
    throw error;
  }
}
