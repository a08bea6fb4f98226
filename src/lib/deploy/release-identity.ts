/**
 * What a service's release is, the same on both targets: the image it runs (pinned to a digest on a cluster, the
 * engine's image id on this machine) and a hash of the configuration the container runs with. Both deployers call
 * a service unchanged only when both parts match what runs, so a changed env, port, resource or model (a model
 * is in the image) is applied on either target, and nothing else restarts a healthy service.
 */
import { createHash } from 'node:crypto';
import type { MlpConfig, ServiceConfig } from '../config/schema.js';

export interface ReleaseIdentity {
  /** repository@sha256:… on a cluster, the local engine's image id on this machine. */
  image: string;
  /** serviceConfigHash of the configuration the container runs with. */
  config: string;
}

/**
 * A hash of everything a service's container reads at start apart from its image: env, port, resources, the IAM
 * role and where the model comes from. Replica counts and autoscaling are left out: they change how many pods
 * run, not what each one runs, so they never restart a pod.
 */
export function serviceConfigHash(config: Pick<MlpConfig, 'aws'>, service: ServiceConfig): string {
  const model = service.model;
  const runsWith = {
    env: Object.entries(service.env ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    port: service.port,
    resources: service.resources,
    roleArn: service.serviceAccount?.roleArn ?? null,
    model:
      model.source === 'sagemaker' ? { endpoint: model.endpoint, contentType: model.contentType, region: config.aws.region } : model.source,
  };
  return createHash('sha256').update(JSON.stringify(runsWith)).digest('hex').slice(0, 16);
}

export function sameRelease(running: Partial<ReleaseIdentity> | undefined, wanted: ReleaseIdentity): boolean {
  return running?.image === wanted.image && running.config === wanted.config;
}
