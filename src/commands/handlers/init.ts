import type { CommandHandler } from '../../lib/command.js';
import { UsageError } from '../../lib/errors.js';

interface InitOptions {
  name?: string;
  force?: boolean;
  githubActions?: boolean;
  cluster?: string;
  roleArn?: string;
  repository?: string;
  environment: string;
  branch: string;
  iam?: boolean;
}

const init: CommandHandler<InitOptions> = async (context, options) => {
  if (options.githubActions) return initWorkflow(context, options, []);
  const stray = (['cluster', 'roleArn', 'repository', 'iam'] as const).filter((key) => options[key] !== undefined);
  if (stray.length > 0) throw new UsageError(`--${kebab(stray[0]!)} is an option of mlp init --github-actions.`);
  const { scaffoldProject } = await import('../../lib/init.js');
  const created = await scaffoldProject({
    dir: context.dir,
    ...(options.name === undefined ? {} : { name: options.name }),
    force: options.force === true,
  });
  context.output.result(created, `Created ${created.file} for project ${created.name}. Next: edit it, then run "mlp deploy --dry-run".`);
};

const initWorkflow: CommandHandler<InitOptions> = async (context, options) => {
  const { initGithubActions } = await import('../../lib/init/github-actions.js');
  const project = await context.loadConfig();
  const done = await initGithubActions({
    project,
    env: context.io.env,
    ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
    ...(options.roleArn === undefined ? {} : { roleArn: options.roleArn }),
    ...(options.repository === undefined ? {} : { repository: options.repository }),
    environment: options.environment,
    branch: options.branch,
    iam: options.iam === true,
    force: options.force === true,
  });
  context.output.result(done, () =>
    [
      `Created ${done.workflow} for ${done.repository} (project ${project.config.name}).`,
      done.roleArn === null
        ? 'The workflow assumes the role named by the repository variable MLP_AWS_ROLE_ARN; set it, or pass --role-arn.'
        : `It assumes ${done.roleArn}.`,
      '',
      done.policyFiles
        ? `Wrote the role's trust policy to ${done.policyFiles.trust} and its permissions policy to ${done.policyFiles.permissions}.`
        : "The role's trust policy (GitHub's OIDC provider, this repository's environment and branch):",
      ...(done.policyFiles
        ? []
        : [
            JSON.stringify(done.trustPolicy, null, 2),
            '',
            'Its permissions policy (what mlp calls, for what mlp.yaml names):',
            JSON.stringify(done.permissionsPolicy, null, 2),
          ]),
    ].join('\n'),
  );
};

const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
export default init;
