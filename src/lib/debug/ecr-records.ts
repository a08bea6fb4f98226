/**
 * The records of `mlp debug ecr`, from what ecr-registry.ts and ecr-image-ref.ts found. Pure, so each wording is
 * unit-tested: "repository missing", "image not in the repository" and "cannot get a token (credentials)" are the
 * three ways a pull fails that the runbook tells apart.
 */
import type { CheckRecord } from './check.js';
import type { FindingsOutcome, ImageOutcome, RepositoryOutcome, TokenOutcome } from './ecr-registry.js';
import type { ServiceImage } from './ecr-image-ref.js';

export interface RepositoryTarget {
  service: string;
  /** ECR's repositoryName, e.g. fraud/api */
  name: string;
  region: string;
}

const errorFix = (error: { hint: string | undefined }, fallback: string): string => error.hint ?? fallback;

export function repositoryRecord(target: RepositoryTarget, outcome: RepositoryOutcome): CheckRecord {
  const base = { check: 'ecr.repository', subject: target.service };
  if (outcome.kind === 'found') {
    return {
      ...base,
      status: 'pass',
      saw: `repository ${target.name} exists in ${target.region}${outcome.uri ? ` (${outcome.uri})` : ''}`,
    };
  }
  if (outcome.kind === 'missing') {
    return {
      ...base,
      status: 'fail',
      saw: `repository missing: there is no ECR repository ${target.name} in ${target.region}`,
      fix: `mlp push --service ${target.service} (it creates the repository with scan on push and the lifecycle policy)`,
    };
  }
  return {
    ...base,
    status: 'fail',
    saw: outcome.error.message,
    fix: errorFix(outcome.error, 'check AWS access and run mlp debug ecr again'),
  };
}

export function scanOnPushRecord(target: RepositoryTarget, outcome: RepositoryOutcome): CheckRecord {
  const base = { check: 'ecr.scan-on-push', subject: target.service };
  if (outcome.kind === 'missing') return { ...base, status: 'skip', saw: `no repository ${target.name} to read the setting of` };
  if (outcome.kind !== 'found') return { ...base, status: 'skip', saw: `repository ${target.name} could not be read` };
  if (outcome.scanOnPush) return { ...base, status: 'pass', saw: `repository ${target.name} scans images on push` };
  return {
    ...base,
    status: 'fail',
    saw: `repository ${target.name} does not scan images on push (imageScanningConfiguration.scanOnPush is false)`,
    fix:
      `aws ecr put-image-scanning-configuration --repository-name ${target.name} --image-scanning-configuration scanOnPush=true ` +
      `--region ${target.region} (or run mlp push again, which turns it on)`,
  };
}

/** `now`: for the "expires in" wording (tests pass a fixed one). */
export function tokenRecord(service: string, outcome: TokenOutcome, now = new Date()): CheckRecord {
  const base = { check: 'ecr.token', subject: service };
  if (outcome.kind === 'token') {
    const where = outcome.proxyEndpoint ? ` for ${outcome.proxyEndpoint}` : '';
    const expiresAt = outcome.expiresAt;
    const expiry = !expiresAt
      ? ''
      : expiresAt.getTime() < now.getTime()
        ? `expired ${expiresAt.toISOString()} already, mlp push fetches its own; `
        : `expires ${expiresAt.toISOString()}; `;
    return { ...base, status: 'pass', saw: `an authorization token is obtainable${where} (${expiry}the token is not shown)` };
  }
  const { error } = outcome;
  return {
    ...base,
    status: 'fail',
    saw: `cannot get a token${error.kind === 'credentials' ? ' (credentials)' : ''}: ${error.message}`,
    fix: errorFix(error, 'grant ecr:GetAuthorizationToken to the role or user mlp runs as'),
  };
}

export function imageRecord(target: RepositoryTarget, image: ServiceImage, outcome: ImageOutcome | undefined): CheckRecord {
  const base = { check: 'ecr.image', subject: target.service };
  if (image.kind === 'none') return { ...base, status: 'fail', saw: image.why, fix: `mlp push --service ${target.service}` };
  const what = `${image.id.digest ?? `tag ${image.id.tag}`} (${image.source})`;
  const details = image.note ? [image.note] : undefined;
  if (outcome === undefined)
    return { ...base, status: 'skip', saw: `repository ${target.name} could not be read, so ${what} was not looked for`, details };
  if (outcome.kind === 'found') {
    const tags = outcome.tags.length > 0 ? `, tags ${outcome.tags.join(', ')}` : '';
    const pushed = outcome.pushedAt ? `, pushed ${outcome.pushedAt.toISOString()}` : '';
    return { ...base, status: 'pass', saw: `repository ${target.name} has ${what}${tags}${pushed}`, details };
  }
  if (outcome.kind === 'missing') {
    return {
      ...base,
      status: 'fail',
      saw: `image not in the repository: ${target.name} has no ${what}`,
      fix: `mlp push --service ${target.service}, then mlp deploy (a lifecycle rule or a manual delete removed it, or it was pushed elsewhere)`,
      details,
    };
  }
  return { ...base, status: 'fail', saw: outcome.error.message, fix: errorFix(outcome.error, 'check AWS access'), details };
}

export function findingsRecord(target: RepositoryTarget, outcome: FindingsOutcome | undefined): CheckRecord {
  const base = { check: 'ecr.scan-findings', subject: target.service };
  if (outcome === undefined) return { ...base, status: 'skip', saw: 'no image in the repository to look up findings for' };
  if (outcome.kind === 'none') return { ...base, status: 'skip', saw: outcome.why };
  if (outcome.kind === 'error') return { ...base, status: 'skip', saw: `scan findings could not be read: ${outcome.error.message}` };
  if (outcome.status !== 'COMPLETE') {
    return {
      ...base,
      status: 'skip',
      saw: `the image's scan is ${outcome.status}${outcome.description ? `: ${outcome.description}` : ''}`,
    };
  }
  const entries = Object.entries(outcome.counts).filter(([, count]) => count > 0);
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  const bySeverity = entries.map(([severity, count]) => `${count} ${severity}`).join(', ');
  const when = outcome.completedAt ? ` (scanned ${outcome.completedAt.toISOString()})` : '';
  return {
    ...base,
    status: 'pass',
    saw:
      total === 0
        ? `the image's scan found nothing${when}`
        : `the image's scan found ${total} finding${total === 1 ? '' : 's'}: ${bySeverity}${when}`,
  };
}
