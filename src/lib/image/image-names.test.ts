import { describe, expect, it } from 'vitest';
import { registryRepository, registryRepositoryName } from './image-names.js';
import { lifecyclePolicy } from './ecr.js';
import { withoutCredentials } from '../git.js';

const aws = { region: 'eu-west-1', accountId: '123456789012' } as const;

describe('image names', () => {
  it("uses ECR's default registry for the account and region", () => {
    expect(registryRepository({ name: 'fraud', aws, registry: { type: 'ecr', keepImages: 30, expireDays: 90 } }, 'api')).toBe(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud/api',
    );
  });

  it("keeps a registry URL's path as a prefix of the repository name", () => {
    const config = {
      name: 'fraud',
      aws,
      registry: { type: 'generic' as const, url: 'registry.example.com:5000/team/ml/', keepImages: 30, expireDays: 90 },
    };
    expect(registryRepositoryName(config, 'api')).toBe('team/ml/fraud/api');
    expect(registryRepository(config, 'api')).toBe('registry.example.com:5000/team/ml/fraud/api');
  });

  it('says what to set when the ECR account is unknown', () => {
    expect(() =>
      registryRepository({ name: 'fraud', aws: { region: 'eu-west-1' }, registry: { type: 'ecr', keepImages: 30, expireDays: 90 } }, 'api'),
    ).toThrow(/aws.accountId is not set/);
  });
});

describe('lifecyclePolicy', () => {
  it('expires untagged images after expireDays and keeps the newest keepImages', () => {
    const rules = JSON.parse(lifecyclePolicy({ keepImages: 30, expireDays: 90 })).rules;
    expect(rules.map((rule: { selection: unknown }) => rule.selection)).toEqual([
      { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 90 },
      { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 },
    ]);
  });
});

describe('withoutCredentials', () => {
  it('drops a token from a remote URL before it goes into an image label', () => {
    expect(withoutCredentials('https://x-access-token:ghs_secret@github.com/acme/ml.git')).toBe('https://github.com/acme/ml.git');
    expect(withoutCredentials('git@github.com:acme/ml.git')).toBe('git@github.com:acme/ml.git');
  });
});
