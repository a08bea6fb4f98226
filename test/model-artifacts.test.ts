/**
 * How a model comes back from a training Job (src/lib/model/artifacts.ts), against moto's S3: mlp trusts an upload
 * only as far as mlp-manifest.json vouches for it. The training Job itself runs on the real node in
 * train-remote.test.ts; here the objects are written directly, so a file changed after the upload (which no real
 * Job would do on cue) can be tested exactly.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MlpError } from '../src/lib/errors.js';
import { artifactLocation, downloadModelArtifacts, MANIFEST_FILE } from '../src/lib/model/artifacts.js';
import { describeWithBench, motoEnv } from './support/bench.js';

describeWithBench(['moto'], 'model artifacts from S3: checked against the manifest', () => {
  const bucket = `mlp-test-artifacts-${Date.now().toString(36)}`;
  let client: S3Client;
  let dir: string;
  const files = { 'model.onnx': Buffer.from('onnx bytes'), 'metrics.json': Buffer.from('{"auc": 0.91}') };
  const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

  /** Uploads `stored` under a fresh version, with a manifest of what the Job wrote (`written`). */
  const upload = async (version: string, stored: Record<string, Buffer>, written: Record<string, Buffer> = stored) => {
    const location = artifactLocation(`s3://${bucket}/models`, 'fraud', version);
    for (const [name, body] of Object.entries(stored)) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${location.prefix}${name}`, Body: body }));
    }
    const manifest = {
      format: 1,
      model: 'fraud',
      version,
      files: Object.entries(written).map(([name, body]) => ({ path: name, size: body.length, sha256: sha256(body) })),
    };
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${location.prefix}${MANIFEST_FILE}`, Body: JSON.stringify(manifest) }));
    return location;
  };
  const download = (location: ReturnType<typeof artifactLocation>, into: string) =>
    downloadModelArtifacts(location, into, 'us-east-1', new AbortController().signal, motoEnv());

  beforeAll(async () => {
    client = new S3Client({
      region: 'us-east-1',
      endpoint: motoEnv().AWS_ENDPOINT_URL,
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    dir = mkdtempSync(path.join(tmpdir(), 'mlp-artifacts-'));
  });

  afterAll(() => {
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads every file the manifest lists, byte for byte', async () => {
    const into = path.join(dir, 'good');
    const manifest = await download(await upload('v1', files), into);
    expect(manifest.files.map((file) => file.path).sort()).toEqual(['metrics.json', 'model.onnx']);
    expect(manifest.bytes).toBe(files['model.onnx'].length + files['metrics.json'].length);
    expect(readFileSync(path.join(into, 'metrics.json'))).toEqual(files['metrics.json']);
  });

  it('refuses a file whose SHA-256 does not match the manifest (same size, one digit changed), naming both digests', async () => {
    const changed = Buffer.from('{"auc": 0.92}');
    expect(changed.length).toBe(files['metrics.json'].length);
    const location = await upload('v2', { ...files, 'metrics.json': changed }, files);
    const into = path.join(dir, 'tampered');
    const error = await download(location, into).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MlpError);
    expect((error as MlpError).kind).toBe('training');
    expect((error as MlpError).message).toBe(
      `${location.uri}metrics.json does not match ${MANIFEST_FILE} (${changed.length} bytes, sha256 ${sha256(changed).slice(0, 12)}…; ` +
        `expected ${changed.length} bytes, sha256 ${sha256(files['metrics.json']).slice(0, 12)}…); nothing was registered.`,
    );
  });

  it('refuses a version whose manifest lists a file that is not there, and one with no manifest at all', async () => {
    const partial = await upload('v3', { 'model.onnx': files['model.onnx'] }, files);
    await expect(download(partial, path.join(dir, 'partial'))).rejects.toThrow(
      `${partial.uri}metrics.json does not match ${MANIFEST_FILE} (missing;`,
    );
    const none = artifactLocation(`s3://${bucket}/models`, 'fraud', 'v4');
    await expect(download(none, path.join(dir, 'none'))).rejects.toThrow(
      `${none.uri}${MANIFEST_FILE} does not exist: the model was not uploaded`,
    );
  });
});
