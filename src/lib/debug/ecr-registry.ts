/**
 * The ECR calls of `mlp debug ecr`, each answering with what it found rather than throwing, so every check can say
 * what it saw: the repository (DescribeRepositories), an authorization token (GetAuthorizationToken — only its
 * expiry and proxy endpoint leave this file; the token itself is dropped here, never printed, logged or returned),
 * an image by digest or tag (DescribeImages) and its scan findings (DescribeImageScanFindings).
 */
import { ecrClient, resolveRegion, toMlpError, type AwsEnv } from '../aws.js';
import { MlpError } from '../errors.js';

type EcrSdk = typeof import('@aws-sdk/client-ecr');
type Client = Awaited<ReturnType<typeof ecrClient>>;

export type Failed = { kind: 'error'; error: MlpError };

export type RepositoryOutcome = { kind: 'found'; uri: string | undefined; scanOnPush: boolean } | { kind: 'missing' } | Failed;

export type TokenOutcome = { kind: 'token'; expiresAt: Date | undefined; proxyEndpoint: string | undefined } | Failed;

/** The image a service runs: by digest when the reference is pinned (mlp always pins), else by tag. */
export interface ImageId {
  digest?: string | undefined;
  tag?: string | undefined;
}

export type ImageOutcome = { kind: 'found'; digest: string; tags: string[]; pushedAt: Date | undefined } | { kind: 'missing' } | Failed;

export type FindingsOutcome =
  | { kind: 'findings'; status: string; description: string | undefined; counts: Record<string, number>; completedAt: Date | undefined }
  | { kind: 'none'; why: string }
  | Failed;

/** One ECR client for a debug run; `close()` destroys it. */
export class EcrInspector {
  private constructor(
    private readonly client: Client,
    private readonly sdk: EcrSdk,
    private readonly region: string | undefined,
    private readonly env: AwsEnv,
    private readonly signal: AbortSignal,
  ) {}

  static async open(region: string, env: AwsEnv, signal: AbortSignal): Promise<EcrInspector> {
    const sdk = await import('@aws-sdk/client-ecr');
    return new EcrInspector(await ecrClient({ region, env }), sdk, resolveRegion({ region, env }), env, signal);
  }

  close(): void {
    this.client.destroy();
  }

  private failed(error: unknown, operation: string): Failed {
    const mapped = toMlpError(error, {
      service: 'ecr',
      operation: `ECR ${operation}`,
      region: this.region,
      action: `ecr:${operation}`,
      env: this.env,
    });
    if (!(mapped instanceof MlpError)) throw mapped; // an abort
    return { kind: 'error', error: mapped };
  }

  private get options() {
    return { abortSignal: this.signal };
  }

  async repository(name: string): Promise<RepositoryOutcome> {
    try {
      const out = await this.client.send(new this.sdk.DescribeRepositoriesCommand({ repositoryNames: [name] }), this.options);
      const repository = out.repositories?.[0];
      if (!repository) return { kind: 'missing' };
      return { kind: 'found', uri: repository.repositoryUri, scanOnPush: repository.imageScanningConfiguration?.scanOnPush === true };
    } catch (error) {
      if ((error as { name?: string }).name === 'RepositoryNotFoundException') return { kind: 'missing' };
      return this.failed(error, 'DescribeRepositories');
    }
  }

  async token(): Promise<TokenOutcome> {
    try {
      const out = await this.client.send(new this.sdk.GetAuthorizationTokenCommand({}), this.options);
      const data = out.authorizationData?.[0];
      if (!data?.authorizationToken) return { kind: 'error', error: new MlpError('aws', 'ECR GetAuthorizationToken returned no token.') };
      // Only whether there is one, when it expires and where it is for: the token goes no further than this line.
      return { kind: 'token', expiresAt: data.expiresAt, proxyEndpoint: data.proxyEndpoint };
    } catch (error) {
      return this.failed(error, 'GetAuthorizationToken');
    }
  }

  async image(repository: string, id: ImageId): Promise<ImageOutcome> {
    const imageId = id.digest ? { imageDigest: id.digest } : { imageTag: id.tag };
    try {
      const out = await this.client.send(
        new this.sdk.DescribeImagesCommand({ repositoryName: repository, imageIds: [imageId] }),
        this.options,
      );
      const detail = out.imageDetails?.[0];
      if (!detail?.imageDigest) return { kind: 'missing' };
      return { kind: 'found', digest: detail.imageDigest, tags: detail.imageTags ?? [], pushedAt: detail.imagePushedAt };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ImageNotFoundException') return { kind: 'missing' };
      return this.failed(error, 'DescribeImages');
    }
  }

  async findings(repository: string, digest: string): Promise<FindingsOutcome> {
    try {
      const out = await this.client.send(
        new this.sdk.DescribeImageScanFindingsCommand({ repositoryName: repository, imageId: { imageDigest: digest } }),
        this.options,
      );
      const counts: Record<string, number> = {};
      for (const [severity, count] of Object.entries(out.imageScanFindings?.findingSeverityCounts ?? {})) {
        if (typeof count === 'number') counts[severity] = count;
      }
      return {
        kind: 'findings',
        status: out.imageScanStatus?.status ?? 'UNKNOWN',
        description: out.imageScanStatus?.description,
        counts,
        completedAt: out.imageScanFindings?.imageScanCompletedAt,
      };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ScanNotFoundException') return { kind: 'none', why: 'ECR has no scan of this image (yet)' };
      // Emulators without the operation (older moto) answer with an unknown-operation or 501.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 501 || /not (yet )?implemented|UnknownOperation|InvalidAction/i.test(`${name} ${(error as Error).message}`)) {
        return { kind: 'none', why: 'this ECR endpoint does not implement DescribeImageScanFindings' };
      }
      return this.failed(error, 'DescribeImageScanFindings');
    }
  }
}
