/**
 * Amazon ECR, as `mlp push` needs it: repositories created with scan-on-push and a lifecycle policy (seed 002's
 * 90-day retention), and a registry token fetched per run. The token is handed to `docker login` on stdin and
 * lives only in a temporary Docker config directory for the length of the push.
 */
import type { RegistrySettings } from '../config/schema.js';
import { ecrClient, resolveRegion, toMlpError, type AwsEnv } from '../aws.js';
import { MlpError } from '../errors.js';

export interface EcrToken {
  username: string;
  password: string;
  /** The registry host the token is for, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com */
  registry: string;
  expiresAt: Date | undefined;
}

export interface EnsuredRepository {
  name: string;
  uri: string;
  created: boolean;
  /** True when mlp changed the repository's scan or lifecycle settings. */
  updated: boolean;
}

/** The lifecycle policy mlp keeps on every repository it manages. */
export function lifecyclePolicy(registry: Pick<RegistrySettings, 'keepImages' | 'expireDays'>): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `expire untagged images ${registry.expireDays} days after push`,
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: registry.expireDays },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        description: `keep the newest ${registry.keepImages} images`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: registry.keepImages },
        action: { type: 'expire' },
      },
    ],
  });
}

export class Ecr {
  private constructor(
    private readonly client: Awaited<ReturnType<typeof ecrClient>>,
    private readonly sdk: typeof import('@aws-sdk/client-ecr'),
    private readonly region: string | undefined,
    private readonly signal: AbortSignal | undefined,
    private readonly env: AwsEnv | undefined,
  ) {}

  /** `env`: the command's environment, where the AWS settings come from (aws.ts). */
  static async open(region: string, signal?: AbortSignal, env?: AwsEnv): Promise<Ecr> {
    const sdk = await import('@aws-sdk/client-ecr');
    return new Ecr(await ecrClient({ region, env }), sdk, resolveRegion({ region, env }), signal, env);
  }

  close(): void {
    this.client.destroy();
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toMlpError(error, {
        service: 'ecr',
        operation: `ECR ${operation}`,
        region: this.region,
        action: `ecr:${operation}`,
        env: this.env,
      });
    }
  }

  private get options() {
    return this.signal ? { abortSignal: this.signal } : {};
  }

  /** Creates the repository when missing; turns scan-on-push on and puts the lifecycle policy when they differ. */
  async ensureRepository(name: string, registry: Pick<RegistrySettings, 'keepImages' | 'expireDays'>): Promise<EnsuredRepository> {
    const { sdk, client } = this;
    let repository = await this.call('DescribeRepositories', () =>
      client.send(new sdk.DescribeRepositoriesCommand({ repositoryNames: [name] }), this.options).then(
        (out) => out.repositories?.[0],
        (error: unknown) => {
          if ((error as { name?: string }).name === 'RepositoryNotFoundException') return undefined;
          throw error;
        },
      ),
    );
    let created = false;
    let updated = false;
    if (!repository) {
      repository = await this.call('CreateRepository', () =>
        client
          .send(
            new sdk.CreateRepositoryCommand({
              repositoryName: name,
              imageScanningConfiguration: { scanOnPush: true },
              imageTagMutability: 'MUTABLE',
              encryptionConfiguration: { encryptionType: 'AES256' },
              tags: [{ Key: 'managed-by', Value: 'mlp' }],
            }),
            this.options,
          )
          .then((out) => out.repository),
      );
      created = true;
    } else if (repository.imageScanningConfiguration?.scanOnPush !== true) {
      await this.call('PutImageScanningConfiguration', () =>
        client.send(
          new sdk.PutImageScanningConfigurationCommand({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }),
          this.options,
        ),
      );
      updated = true;
    }
    const wanted = lifecyclePolicy(registry);
    const current = await this.call('GetLifecyclePolicy', () =>
      client.send(new sdk.GetLifecyclePolicyCommand({ repositoryName: name }), this.options).then(
        (out) => out.lifecyclePolicyText,
        (error: unknown) => {
          if ((error as { name?: string }).name === 'LifecyclePolicyNotFoundException') return undefined;
          throw error;
        },
      ),
    );
    if (current === undefined || !sameJson(current, wanted)) {
      await this.call('PutLifecyclePolicy', () =>
        client.send(new sdk.PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: wanted }), this.options),
      );
      updated ||= !created;
    }
    if (!repository?.repositoryUri) throw new MlpError('aws', `ECR returned no URI for repository ${name}.`);
    return { name, uri: repository.repositoryUri, created, updated };
  }

  async token(): Promise<EcrToken> {
    const out = await this.call('GetAuthorizationToken', () =>
      this.client.send(new this.sdk.GetAuthorizationTokenCommand({}), this.options),
    );
    const data = out.authorizationData?.[0];
    if (!data?.authorizationToken) throw new MlpError('aws', 'ECR GetAuthorizationToken returned no token.');
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new MlpError('aws', 'ECR GetAuthorizationToken returned a token that is not user:password.');
    return {
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      registry: (data.proxyEndpoint ?? '').replace(/^https?:\/\//, ''),
      expiresAt: data.expiresAt,
    };
  }
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}
