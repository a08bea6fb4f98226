/**
 * The real-component test bench itself: each component answers, and mlp's AWS layer (src/lib/aws.ts)
 * reaches moto through the standard chain and maps failures to the right MlpError kind.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerIdentity } from '../src/lib/aws.js';
import { MlpError } from '../src/lib/errors.js';
import { benchStatus, describeWithBench, motoEnv } from './support/bench.js';

const exec = promisify(execFile);

/** Replace AWS_* in process.env for a suite and put the original values back afterwards. */
function useAwsEnv(env: () => Record<string, string>): void {
  let saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    saved = {};
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) saved[key] = process.env[key];
    for (const key of Object.keys(saved)) delete process.env[key];
    Object.assign(process.env, env());
  });
  afterAll(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    for (const [key, value] of Object.entries(saved)) if (value !== undefined) process.env[key] = value;
  });
}

async function expectMlpError(promise: Promise<unknown>): Promise<MlpError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MlpError);
  return error as MlpError;
}

describeWithBench(['docker'], 'Docker engine', () => {
  it('answers docker info', async () => {
    const { stdout } = await exec('docker', ['info', '--format', '{{.ServerVersion}}']);
    expect(stdout.trim()).not.toBe('');
  });
});

describeWithBench(['registry'], 'bench registry', () => {
  it('answers GET /v2/ with 200', async () => {
    const res = await fetch(`http://${benchStatus().registry.url}/v2/`);
    expect(res.status).toBe(200);
  });
});

describeWithBench(['moto'], 'AWS through moto', () => {
  useAwsEnv(motoEnv);

  it("returns moto's account from STS GetCallerIdentity via callerIdentity()", async () => {
    const identity = await callerIdentity();
    expect(identity.account).toBe('123456789012');
    expect(identity.arn).toContain('123456789012');
    expect(identity.userId).not.toBe('');
  });
});

describe('AWS error mapping in src/lib/aws.ts', () => {
  describe('without any credentials', () => {
    useAwsEnv(() => ({
      AWS_ENDPOINT_URL: benchStatus().moto.endpoint ?? 'http://127.0.0.1:5055',
      AWS_REGION: 'us-east-1',
      AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'mlp-bench-no-such-dir', 'credentials'),
      AWS_CONFIG_FILE: join(tmpdir(), 'mlp-bench-no-such-dir', 'config'),
      AWS_EC2_METADATA_DISABLED: 'true',
    }));

    it("fails with kind 'credentials' and a hint that says how to provide them", async () => {
      const error = await expectMlpError(callerIdentity());
      expect(error.kind).toBe('credentials');
      expect(error.exitCode).toBe(5);
      expect(error.hint).toMatch(/AWS_PROFILE/);
      expect(error.hint).toMatch(/configure-aws-credentials/);
    });
  });

  describe('with an endpoint that refuses connections', () => {
    useAwsEnv(() => ({ ...dummyCredentials(), AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }));

    it("fails with kind 'prerequisite' naming the endpoint, without credential values", async () => {
      const error = await expectMlpError(callerIdentity());
      expect(error.kind).toBe('prerequisite');
      expect(error.message).toContain('http://127.0.0.1:9');
      expect(`${error.message}\n${error.hint ?? ''}`).not.toContain('testing');
    });
  });
});

/** motoEnv()'s dummy credentials without requiring moto to be up (the endpoint is overridden anyway). */
function dummyCredentials(): Record<string, string> {
  return { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
}

// One tiny image built FROM the bench base image, shared by the run and push suites.
const tag = `t${process.pid}-${Date.now()}`;
const localImage = `mlp-bench-test/hello:${tag}`;
let built: Promise<string> | undefined;
let buildDir: string | undefined;

function buildHello(): Promise<string> {
  built ??= (async () => {
    buildDir = await mkdtemp(join(tmpdir(), 'mlp-bench-build-'));
    await writeFile(
      join(buildDir, 'Dockerfile'),
      ['ARG BASE_IMAGE', 'FROM ${BASE_IMAGE}', 'RUN node -e "require(\'node:fs\').writeFileSync(\'/hello.txt\', \'ok\')"', 'CMD ["node", "--version"]', ''].join('\n'),
    );
    // --network none: the build must work with no network at all.
    await exec('docker', ['build', '--network', 'none', '-q', '--build-arg', `BASE_IMAGE=${benchStatus().baseImage.image}`, '-t', localImage, buildDir], {
      env: { ...process.env, DOCKER_CLI_HINTS: 'false' },
    });
    return localImage;
  })();
  return built;
}

afterAll(async () => {
  if (built) {
    const refs = [localImage];
    const registry = benchStatus().registry.url;
    if (registry) refs.push(`${registry}/${localImage}`);
    await exec('docker', ['image', 'rm', '-f', ...refs]).catch(() => undefined);
  }
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

describeWithBench(['docker', 'baseImage'], 'image built FROM the bench base image', () => {
  it('runs on the engine and prints the Node version', async () => {
    const image = await buildHello();
    const { stdout } = await exec('docker', ['run', '--rm', '--network', 'none', image]);
    expect(stdout.trim()).toMatch(/^v20\.\d+\.\d+$/);
  });
});

describeWithBench(['docker', 'baseImage', 'registry'], 'pushing to the bench registry', () => {
  it('makes GET /v2/<name>/manifests/<tag> answer 200', async () => {
    const registry = benchStatus().registry.url;
    const remote = `${registry}/${await buildHello()}`;
    await exec('docker', ['tag', localImage, remote]);
    await exec('docker', ['push', '-q', remote]);
    const res = await fetch(`http://${registry}/v2/mlp-bench-test/hello/manifests/${tag}`, {
      headers: {
        accept: [
          'application/vnd.docker.distribution.manifest.v2+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.oci.image.index.v1+json',
        ].join(', '),
      },
    });
    expect(res.status).toBe(200);
  });
});
