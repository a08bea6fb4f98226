/**
 * The way a model comes back from a training Job: the training image's entrypoint uploads MLP_OUTPUT_DIR to
 * <training.remote.artifacts>/<name>/<version>/ and, last, mlp-manifest.json listing every file with its size and
 * SHA-256. mlp reads the manifest, downloads the files and checks each against it, so a half-finished or tampered
 * upload is never registered.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { s3Client, toMlpError, type AwsEnv } from '../aws.js';
import { MlpError } from '../errors.js';

export const MANIFEST_FILE = 'mlp-manifest.json';

export interface ArtifactLocation {
  bucket: string;
  /** Key prefix of this version, ending in "/". */
  prefix: string;
  /** s3://bucket/prefix */
  uri: string;
}

export interface ArtifactManifest {
  format: 1;
  model: string;
  version: string;
  files: Array<{ path: string; size: number; sha256: string }>;
}

export function artifactLocation(artifacts: string, model: string, version: string): ArtifactLocation {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(artifacts);
  if (!match) throw new MlpError('config', `training.remote.artifacts: ${artifacts} is not an s3:// location.`);
  const base = match[2]!.replace(/\/+$/, '');
  const prefix = `${base === '' ? '' : `${base}/`}${model}/${version}/`;
  return { bucket: match[1]!, prefix, uri: `s3://${match[1]}/${prefix}` };
}

/**
 * Creates the bucket when it does not exist (private: public access blocked), so the first remote training works on
 * a new account; an existing bucket is left as its owner configured it. `env`: the command's environment (aws.ts).
 */
export async function ensureArtifactBucket(
  location: ArtifactLocation,
  region: string,
  signal: AbortSignal,
  log: (line: string) => void,
  env?: AwsEnv,
): Promise<void> {
  const s3 = await s3Client({ region, env });
  const { HeadBucketCommand, CreateBucketCommand, PutPublicAccessBlockCommand } = await import('@aws-sdk/client-s3');
  const call = { service: 's3', region, env };
  try {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: location.bucket }), { abortSignal: signal });
      return;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) {
        throw toMlpError(error, { ...call, operation: `HeadBucket ${location.bucket}`, action: 's3:ListBucket' });
      }
    }
    log(`creating S3 bucket ${location.bucket} (training.remote.artifacts) in ${region}`);
    await s3
      .send(
        new CreateBucketCommand({
          Bucket: location.bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
        { abortSignal: signal },
      )
      .catch((error: unknown) => {
        throw toMlpError(error, { ...call, operation: `CreateBucket ${location.bucket}`, action: 's3:CreateBucket' });
      });
    await s3
      .send(
        new PutPublicAccessBlockCommand({
          Bucket: location.bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: true,
          },
        }),
        { abortSignal: signal },
      )
      .catch((error: unknown) => {
        throw toMlpError(error, { ...call, operation: `PutPublicAccessBlock ${location.bucket}`, action: 's3:PutBucketPublicAccessBlock' });
      });
  } finally {
    s3.destroy();
  }
}

/** Downloads the version's files into `dir`, each checked against the manifest. Resolves with the manifest. */
export async function downloadModelArtifacts(
  location: ArtifactLocation,
  dir: string,
  region: string,
  signal: AbortSignal,
  env?: AwsEnv,
): Promise<ArtifactManifest & { bytes: number }> {
  const s3 = await s3Client({ region, env });
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const get = async (relative: string): Promise<Buffer | undefined> => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: `${location.prefix}${relative}` }), {
        abortSignal: signal,
      });
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw toMlpError(error, { service: 's3', region, env, operation: `GetObject ${location.uri}${relative}`, action: 's3:GetObject' });
    }
  };
  try {
    const text = await get(MANIFEST_FILE);
    if (text === undefined) {
      throw new MlpError(
        'training',
        `The training Job finished, but ${location.uri}${MANIFEST_FILE} does not exist: the model was not uploaded; nothing was registered.`,
        {
          hint: 'the training image must come from mlp build (its entrypoint uploads MLP_OUTPUT_DIR, then the manifest); look for "mlp:" lines in the Job log',
        },
      );
    }
    const manifest = parseManifest(text.toString('utf8'), location);
    let bytes = 0;
    for (const file of manifest.files) {
      const body = await get(file.path);
      const sha256 = body && createHash('sha256').update(body).digest('hex');
      if (body === undefined || body.length !== file.size || sha256 !== file.sha256) {
        throw new MlpError(
          'training',
          `${location.uri}${file.path} does not match ${MANIFEST_FILE} (${body === undefined ? 'missing' : `${body.length} bytes, sha256 ${sha256!.slice(0, 12)}…`}; expected ${file.size} bytes, sha256 ${file.sha256.slice(0, 12)}…); nothing was registered.`,
          {
            hint: 'something else wrote to this prefix, or the upload was interrupted; train again',
          },
        );
      }
      const target = path.join(dir, ...file.path.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, body);
      bytes += body.length;
    }
    return { ...manifest, bytes };
  } finally {
    s3.destroy();
  }
}

function parseManifest(text: string, location: ArtifactLocation): ArtifactManifest {
  const where = `${location.uri}${MANIFEST_FILE}`;
  let value: Partial<ArtifactManifest>;
  try {
    value = JSON.parse(text) as Partial<ArtifactManifest>;
  } catch (error) {
    throw new MlpError('training', `${where} is not JSON: ${(error as Error).message}`);
  }
  if (value.format !== 1 || !Array.isArray(value.files)) {
    throw new MlpError('training', `${where} is not a manifest mlp understands (format ${String(value.format)}).`, {
      hint: 'rebuild the training image with this version of mlp (mlp build)',
    });
  }
  for (const file of value.files) {
    const safe =
      typeof file?.path === 'string' &&
      file.path !== '' &&
      !file.path.startsWith('/') &&
      !file.path.split('/').some((part) => part === '..' || part === '');
    if (!safe || typeof file.size !== 'number' || typeof file.sha256 !== 'string') {
      throw new MlpError('training', `${where} lists a file mlp will not write: ${JSON.stringify(file)}.`);
    }
  }
  return value as ArtifactManifest;
}
