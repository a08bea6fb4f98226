/**
 * Image names. Locally an image is `<project>/<service>:<content tag>`; in a registry it is
 * `<registry>/<project>/<service>` (ECR: one repository per service, created by `mlp push`).
 */
import type { MlpConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';

export function imageRepository(project: string, image: string): string {
  return `${project}/${image}`;
}

/** The registry host (and prefix) images are pushed to; ECR's default needs the account ID. */
export function registryHost(config: Pick<MlpConfig, 'registry' | 'aws'>, accountId?: string): string {
  const registry = config.registry;
  if (!registry) {
    throw new MlpError('config', 'mlp.yaml has no registry section, so there is nowhere to push images.', {
      hint: 'add one, e.g.\n  registry:\n    type: ecr            # or: type: generic, url: registry.example.com/team',
    });
  }
  if (registry.url) return registry.url.replace(/\/+$/, '');
  const account = accountId ?? config.aws.accountId;
  if (!account) {
    throw new MlpError('config', 'registry.type is ecr without a url, and aws.accountId is not set.', {
      hint: 'set aws.accountId (mlp push also asks STS when it can), or registry.url',
    });
  }
  return `${account}.dkr.ecr.${config.aws.region}.amazonaws.com`;
}

/** The repository name inside the registry (what ECR calls repositoryName): `<prefix>/<project>/<image>`. */
export function registryRepositoryName(config: Pick<MlpConfig, 'registry' | 'name'>, image: string): string {
  const url = config.registry?.url ?? '';
  const prefix = url.includes('/') ? url.slice(url.indexOf('/') + 1).replace(/\/+$/, '') : '';
  return [prefix, config.name, image].filter(Boolean).join('/');
}

/** `<host>/<repository name>`, the reference a push goes to (without tag). */
export function registryRepository(config: Pick<MlpConfig, 'registry' | 'aws' | 'name'>, image: string, accountId?: string): string {
  const host = registryHost(config, accountId).split('/')[0]!;
  return `${host}/${registryRepositoryName(config, image)}`;
}
