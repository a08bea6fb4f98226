import { describe, expect, it } from 'vitest';
import { awsClientConfig, awsCredentials, describeEndpoint, endpointOverride, resolveRegion, stsEndpoint } from './aws.js';

describe('AWS settings come from the command’s environment', () => {
  it('takes the region from the option, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
    const env = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' };
    expect(resolveRegion({ region: 'ap-south-1', env })).toBe('ap-south-1');
    expect(resolveRegion({ env })).toBe('eu-west-1');
    expect(resolveRegion({ env: { AWS_REGION: ' ', AWS_DEFAULT_REGION: 'us-west-2' } })).toBe('us-west-2');
    expect(resolveRegion({ env: {} })).toBeUndefined();
  });

  it('prefers the service’s own endpoint variable to AWS_ENDPOINT_URL, unless told to ignore both', () => {
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:5055', AWS_ENDPOINT_URL_S3: 'http://minio:9000' };
    expect(endpointOverride('s3', env)).toEqual({ url: 'http://minio:9000', variable: 'AWS_ENDPOINT_URL_S3' });
    expect(endpointOverride('ecr', env)).toEqual({ url: 'http://127.0.0.1:5055', variable: 'AWS_ENDPOINT_URL' });
    expect(endpointOverride('ecr', { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBeUndefined();
    expect(describeEndpoint('ecr', 'us-east-1', env)).toBe('http://127.0.0.1:5055 (from AWS_ENDPOINT_URL)');
    expect(describeEndpoint('ecr', 'us-east-1', {})).toBe('https://ecr.us-east-1.amazonaws.com');
  });

  it('presigns EKS tokens for the regional STS endpoint unless one is configured', () => {
    expect(stsEndpoint('eu-west-1', {})).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(stsEndpoint('eu-west-1', { AWS_ENDPOINT_URL_STS: 'http://sts.local' })).toBe('http://sts.local');
  });

  it('hands each client the region, endpoint and keys of the environment, and a named profile instead of keys', () => {
    const keys = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' };
    expect(awsClientConfig('sts', { env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:5055', ...keys } })).toMatchObject({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:5055',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
      maxAttempts: 3,
    });
    // As in the SDK's own chain, a named profile wins over keys in the environment.
    const profiled = awsClientConfig('sts', { env: { AWS_PROFILE: 'ml', ...keys } });
    expect(profiled.profile).toBe('ml');
    expect(profiled.credentials).toBeUndefined();
    // Nothing set: the SDK resolves region and credentials itself (the profile's region, its default chain).
    expect(Object.keys(awsClientConfig('ecr', { env: {} })).sort()).toEqual(['customUserAgent', 'maxAttempts']);
  });

  it('signs outside a client with the environment’s keys when it has them', async () => {
    expect(await awsCredentials({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' })).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
    });
    expect(typeof (await awsCredentials({ AWS_PROFILE: 'ml' }))).toBe('function');
  });
});
