import { describe, expect, it } from 'vitest';
import { MlpError } from '../errors.js';
import { imageIdOf } from './ecr-image-ref.js';
import { findingsRecord, imageRecord, repositoryRecord, scanOnPushRecord, tokenRecord } from './ecr-records.js';

const target = { service: 'api', name: 'fraud/api', region: 'us-east-1' };
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  it('takes the digest of a pinned reference, else the tag (a registry port is not one)', () => {
    expect(imageIdOf(`123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud/api@${DIGEST}`)).toEqual({ digest: DIGEST });
    expect(imageIdOf('127.0.0.1:5000/fraud/api:v1')).toEqual({ tag: 'v1' });
    expect(imageIdOf('127.0.0.1:5000/fraud/api')).toEqual({ tag: 'latest' });
  });
});

describe('repository records', () => {
  it('says "repository missing" with mlp push as the fix, and skips the scan setting then', () => {
    const missing = repositoryRecord(target, { kind: 'missing' });
    expect(missing).toMatchObject({ status: 'fail', saw: 'repository missing: there is no ECR repository fraud/api in us-east-1' });
    expect(missing.fix).toContain('mlp push --service api');
    expect(scanOnPushRecord(target, { kind: 'missing' }).status).toBe('skip');
  });

  it('names put-image-scanning-configuration when scan on push is off', () => {
    const off = scanOnPushRecord(target, { kind: 'found', uri: undefined, scanOnPush: false });
    expect(off.status).toBe('fail');
    expect(off.fix).toBe(
      'aws ecr put-image-scanning-configuration --repository-name fraud/api --image-scanning-configuration scanOnPush=true ' +
        '--region us-east-1 (or run mlp push again, which turns it on)',
    );
    expect(scanOnPushRecord(target, { kind: 'found', uri: undefined, scanOnPush: true }).status).toBe('pass');
  });
});

describe('token record', () => {
  it('reports only the expiry and endpoint of a token', () => {
    const record = tokenRecord(
      'api',
      { kind: 'token', expiresAt: new Date('2026-01-01T12:00:00Z'), proxyEndpoint: 'https://1.dkr.ecr.us-east-1.amazonaws.com' },
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(record).toEqual({
      check: 'ecr.token',
      subject: 'api',
      status: 'pass',
      saw: 'an authorization token is obtainable for https://1.dkr.ecr.us-east-1.amazonaws.com (expires 2026-01-01T12:00:00.000Z; the token is not shown)',
    });
  });

  it('says "cannot get a token (credentials)" for a denial, with its hint', () => {
    const error = new MlpError(
      'credentials',
      'ECR GetAuthorizationToken was denied: the caller lacks the IAM permission ecr:GetAuthorizationToken.',
      {
        hint: 'grant ecr:GetAuthorizationToken to the role or user mlp runs as',
      },
    );
    const record = tokenRecord('api', { kind: 'error', error });
    expect(record.status).toBe('fail');
    expect(record.saw).toMatch(/^cannot get a token \(credentials\): ECR GetAuthorizationToken was denied/);
    expect(record.fix).toContain('grant ecr:GetAuthorizationToken');
  });
});

describe('image and findings records', () => {
  const image = {
    kind: 'ref' as const,
    reference: `x/fraud/api@${DIGEST}`,
    id: { digest: DIGEST },
    source: 'Deployment api in namespace ml',
  };

  it('says "image not in the repository" and which reference it looked for', () => {
    const record = imageRecord(target, image, { kind: 'missing' });
    expect(record).toMatchObject({
      status: 'fail',
      saw: `image not in the repository: fraud/api has no ${DIGEST} (Deployment api in namespace ml)`,
    });
    expect(imageRecord(target, { kind: 'none', why: 'nothing pushed' }, undefined)).toMatchObject({
      status: 'fail',
      fix: 'mlp push --service api',
    });
  });

  it('counts findings by severity, and skips a scan that is not complete or absent', () => {
    const found = findingsRecord(target, {
      kind: 'findings',
      status: 'COMPLETE',
      description: undefined,
      counts: { HIGH: 2, LOW: 1, MEDIUM: 0 },
      completedAt: undefined,
    });
    expect(found).toMatchObject({ status: 'pass', saw: "the image's scan found 3 findings: 2 HIGH, 1 LOW" });
    expect(
      findingsRecord(target, { kind: 'findings', status: 'IN_PROGRESS', description: undefined, counts: {}, completedAt: undefined })
        .status,
    ).toBe('skip');
    expect(findingsRecord(target, { kind: 'none', why: 'ECR has no scan of this image (yet)' })).toMatchObject({ status: 'skip' });
  });
});
