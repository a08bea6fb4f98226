/**
 * The IAM role a GitHub Actions workflow assumes to run mlp: a trust policy for GitHub's OIDC provider that only
 * this repository's production environment (and its main branch) can use, and the least-privilege permissions
 * policy mlp needs, derived from mlp.yaml — ECR for the project's repositories, EKS for its cluster and nodegroup,
 * S3 for remote training's artifacts, SageMaker for the endpoints its services proxy. Nothing else.
 */
import type { MlpConfig } from '../config/schema.js';
import { registryRepositoryName } from '../image/image-names.js';
import { TRAINING_IMAGE } from '../image/training-inputs.js';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string | string[];
  Resource?: string | string[];
  Principal?: { Federated: string };
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyTarget {
  /** The AWS account the role and the resources are in (aws.accountId, or --role-arn's). */
  account: string;
  region: string;
  /** owner/name of the GitHub repository. */
  repository: string;
  /** The GitHub environment the deploy job runs in. */
  environment: string;
  branch: string;
  cluster: string | undefined;
}

/**
 * Who may assume the role: a job of `repository` through GitHub's OIDC provider, for sts.amazonaws.com, when the
 * job runs in `environment` (its token's sub is then `repo:<owner>/<name>:environment:<env>`) or on `branch`.
 */
export function trustPolicy(target: PolicyTarget): PolicyDocument {
  const provider = `arn:aws:iam::${target.account}:oidc-provider/${GITHUB_OIDC_HOST}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'GitHubActionsOidc',
        Effect: 'Allow',
        Principal: { Federated: provider },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com' },
          StringLike: {
            [`${GITHUB_OIDC_HOST}:sub`]: [
              `repo:${target.repository}:environment:${target.environment}`,
              `repo:${target.repository}:ref:refs/heads/${target.branch}`,
            ],
          },
        },
      },
    ],
  };
}

/** What mlp calls, scoped to what mlp.yaml names. */
export function permissionsPolicy(config: MlpConfig, target: PolicyTarget): PolicyDocument {
  const { account, region } = target;
  const statements: PolicyStatement[] = [];

  if (config.registry !== undefined && config.registry.type === 'ecr') {
    const names = config.services.map((service) => registryRepositoryName(config, service.name));
    if (config.training?.remote?.enabled === true) names.push(registryRepositoryName(config, TRAINING_IMAGE));
    statements.push(
      // GetAuthorizationToken has no resource of its own: it is always "*".
      { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Sid: 'EcrProjectRepositories',
        Effect: 'Allow',
        Action: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:CompleteLayerUpload',
          'ecr:CreateRepository',
          'ecr:DescribeImageScanFindings',
          'ecr:DescribeImages',
          'ecr:DescribeRepositories',
          'ecr:GetDownloadUrlForLayer',
          'ecr:GetLifecyclePolicy',
          'ecr:InitiateLayerUpload',
          'ecr:PutImage',
          'ecr:PutImageScanningConfiguration',
          'ecr:PutLifecyclePolicy',
          'ecr:TagResource',
          'ecr:UploadLayerPart',
        ],
        Resource: [...new Set(names)].map((name) => `arn:aws:ecr:${region}:${account}:repository/${name}`),
      },
    );
  }

  const cluster = target.cluster ?? config.cluster?.name;
  if (config.deploy.target === 'eks' && cluster !== undefined) {
    // Kubernetes itself authorises through the cluster's access entries (or aws-auth), not IAM: see the README.
    statements.push({
      Sid: 'EksCluster',
      Effect: 'Allow',
      Action: ['eks:DescribeCluster', 'eks:ListNodegroups'],
      Resource: `arn:aws:eks:${region}:${account}:cluster/${cluster}`,
    });
    const nodegroup = config.cluster?.nodegroup;
    if (nodegroup !== undefined) {
      statements.push({
        Sid: 'EksNodegroupScale',
        Effect: 'Allow',
        Action: ['eks:DescribeNodegroup', 'eks:DescribeUpdate', 'eks:ListUpdates', 'eks:UpdateNodegroupConfig'],
        Resource: `arn:aws:eks:${region}:${account}:nodegroup/${cluster}/${nodegroup}/*`,
      });
    }
  }

  const artifacts = config.training?.remote?.enabled === true ? config.training.remote.artifacts : undefined;
  const s3 = artifacts === undefined ? undefined : /^s3:\/\/([^/]+)\/?(.*)$/.exec(artifacts);
  if (s3) {
    const [, bucket, prefix = ''] = s3;
    const under = prefix.replace(/\/+$/, '');
    statements.push(
      {
        Sid: 'TrainingArtifactsBucket',
        Effect: 'Allow',
        // HeadBucket is s3:ListBucket; a missing bucket is created private.
        Action: ['s3:CreateBucket', 's3:ListBucket', 's3:PutBucketPublicAccessBlock'],
        Resource: `arn:aws:s3:::${bucket}`,
      },
      {
        Sid: 'TrainingArtifactsRead',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/${under === '' ? '' : `${under}/`}*`,
      },
    );
  }

  const endpoints = config.services.flatMap((service) => (service.model.source === 'sagemaker' ? [service.model.endpoint] : []));
  if (endpoints.length > 0) {
    statements.push({
      Sid: 'SageMakerEndpoints',
      Effect: 'Allow',
      // mlp debug sagemaker describes each endpoint and sends it one real request.
      Action: ['sagemaker:DescribeEndpoint', 'sagemaker:InvokeEndpoint'],
      // SageMaker writes endpoint names into ARNs in lower case.
      Resource: [...new Set(endpoints)].map((name) => `arn:aws:sagemaker:${region}:${account}:endpoint/${name.toLowerCase()}`),
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}
