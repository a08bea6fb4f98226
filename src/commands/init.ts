import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'init',
  summary: 'Create an mlp.yaml for this project, or (--github-actions) the GitHub Actions workflow that deploys it',
  description:
    "--github-actions writes .github/workflows/mlp.yml at the repository's root for the project's mlp.yaml (with --profile, for that profile): a push to main deploys with --skip-train, a manual run with train checked or a [train] commit trains first; AWS access through GitHub's OIDC token and the role; one deploy per environment at a time; mlp scale down/up on a schedule when the cluster has a nodegroup. It prints the IAM trust policy for GitHub's OIDC provider and the least-privilege permissions policy mlp needs (--iam writes them under .github/iam/).",
  examples: [
    'mlp init',
    'mlp init -C services/fraud --name fraud',
    'mlp init --github-actions -C examples/fraud --profile eks --role-arn arn:aws:iam::123456789012:role/mlp-deploy --iam',
  ],
  options: {
    name: option('--name <name>', 'project and service name (default: the directory name)'),
    force: option('--force', 'overwrite an existing mlp.yaml (or workflow and policies)'),
    githubActions: option('--github-actions', 'write .github/workflows/mlp.yml for this project instead of an mlp.yaml'),
    cluster: option('--cluster <name>', 'the EKS cluster the workflow deploys to (default: cluster.name)'),
    roleArn: option('--role-arn <arn>', 'the IAM role the workflow assumes (default: the repository variable MLP_AWS_ROLE_ARN)'),
    repository: option('--repository <owner/name>', 'the GitHub repository the trust policy admits (default: the origin remote)'),
    environment: option('--environment <name>', 'the GitHub environment the deploy runs in', { default: 'production' }),
    branch: option('--branch <name>', 'the branch whose pushes deploy', { default: 'main' }),
    iam: option('--iam', 'also write the trust and permissions policies under .github/iam/'),
  },
  handler: () => import('./handlers/init.js'),
});
