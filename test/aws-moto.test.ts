/**
 * mlp's AWS layer (src/lib/aws.ts) against the bench: it reaches moto through the standard chain and maps
 * failures to the right MlpError kind.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerIdentity } from '../src/lib/aws.js';
import { MlpError } from '../src/lib/errors.js';
import { benchStatus, describeWithBench, motoEnv } from './support/bench.js';

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
