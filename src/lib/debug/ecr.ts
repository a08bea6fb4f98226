/**
 * `mlp debug ecr [service]`: the runbook's "image pull failing" section for an ECR registry, per service — the
 * registry is ECR, the repository exists, it scans on push, an authorization token is obtainable (its expiry and
 * endpoint only; the token is never shown), the image the Deployment runs (or the last push recorded) is in the
 * repository by digest, and what its scan found. AWS calls use the CLI's own credentials; with none at all the
 * command fails as every AWS command does (exit 5) rather than print six failures that say the same.
 */
import type { ServiceConfig } from '../config/schema.js';
import { selectServices } from '../config/select-services.js';
import type { ProjectConfig } from '../config/load.js';
import type { CommandContext } from '../context.js';
import { registryRepositoryName } from '../image/image-names.js';
import type { CheckRecord, DebugTopic } from './check.js';
import { serviceImage } from './ecr-image-ref.js';
import { findingsRecord, imageRecord, repositoryRecord, scanOnPushRecord, tokenRecord, type RepositoryTarget } from './ecr-records.js';
import { EcrInspector, type TokenOutcome } from './ecr-registry.js';

const ecr: DebugTopic = async (context, request) => {
  const project = await context.loadConfig();
  const { config } = project;
  const services = selectServices(config, request.services);
  const registry = config.registry;
  if (registry?.type !== 'ecr') {
    const saw = registry
      ? `registry ${registry.url ?? ''} is type ${registry.type}, not ECR: these checks apply to registry.type ecr`
      : 'mlp.yaml has no registry section: these checks apply to registry.type ecr';
    return [{ check: 'ecr.registry', status: 'skip', saw }];
  }
  const region = config.aws.region;
  const host = registry.url ?? (config.aws.accountId ? `${config.aws.accountId}.dkr.ecr.${region}.amazonaws.com` : `ECR in ${region}`);
  const inspector = await EcrInspector.open(region, context.io.env, context.signal);
  try {
    const token = await inspector.token();
    const records: CheckRecord[] = [];
    for (const service of services) records.push(...(await checkService(context, project, inspector, token, service, host)));
    return records;
  } finally {
    inspector.close();
  }
};
export default ecr;

async function checkService(
  context: CommandContext,
  project: ProjectConfig,
  inspector: EcrInspector,
  token: TokenOutcome,
  service: ServiceConfig,
  host: string,
): Promise<CheckRecord[]> {
  const target: RepositoryTarget = {
    service: service.name,
    name: registryRepositoryName(project.config, service.name),
    region: project.config.aws.region,
  };
  const [repository, image] = await Promise.all([inspector.repository(target.name), serviceImage(context, project, service.name)]);
  // No credentials at all: nothing here can be checked, and the error says so better than six failed records.
  if (
    repository.kind === 'error' &&
    repository.error.kind === 'credentials' &&
    token.kind === 'error' &&
    token.error.kind === 'credentials'
  ) {
    throw repository.error;
  }
  const registryCheck: CheckRecord = { check: 'ecr.registry', subject: service.name, status: 'pass', saw: `registry is ECR (${host})` };
  const found = repository.kind === 'found' && image.kind === 'ref' ? await inspector.image(target.name, image.id) : undefined;
  const findings = found?.kind === 'found' ? await inspector.findings(target.name, found.digest) : undefined;
  return [
    registryCheck,
    repositoryRecord(target, repository),
    scanOnPushRecord(target, repository),
    tokenRecord(service.name, token),
    repository.kind === 'missing' && image.kind === 'ref'
      ? {
          check: 'ecr.image',
          subject: service.name,
          status: 'skip',
          saw: `repository ${target.name} is missing, so ${image.reference} cannot be in it`,
        }
      : imageRecord(target, image, repository.kind === 'found' ? found : undefined),
    findingsRecord(target, findings),
  ];
}
