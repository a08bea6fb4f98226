/**
 * Which image `mlp debug ecr` looks for: what the live Deployment runs (eks target), else what the last push
 * recorded in `.mlp/builds/<service>.json` — and the record says which it used, and why.
 */
import type { ProjectConfig } from '../config/load.js';
import type { CommandContext } from '../context.js';
import { readBuildRecord } from '../image/build-record.js';
import { clusterForRun } from '../per-run.js';
import { namespaceOf } from '../render/render-context.js';
import type { ImageId } from './ecr-registry.js';

export type ServiceImage =
  { kind: 'ref'; reference: string; id: ImageId; source: string; note?: string | undefined } | { kind: 'none'; why: string };

/** `repo@sha256:…` → the digest; `repo:tag` → the tag (a registry port is not a tag). */
export function imageIdOf(reference: string): ImageId {
  const at = reference.indexOf('@');
  if (at >= 0) return { digest: reference.slice(at + 1) };
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  return { tag: colon >= 0 ? reference.slice(colon + 1) : 'latest' };
}

export async function serviceImage(context: CommandContext, project: ProjectConfig, service: string): Promise<ServiceImage> {
  let note: string;
  if (project.config.deploy.target === 'eks') {
    const live = await deployedImage(context, project, service);
    if ('reference' in live) return { kind: 'ref', reference: live.reference, id: imageIdOf(live.reference), source: live.source };
    note = live.why;
  } else {
    note = 'deploy.target is local';
  }
  const record = await readBuildRecord(project.dir, service);
  const pushed = record?.pushed;
  if (!pushed) return { kind: 'none', why: `${note}, and .mlp/builds/${service}.json records no push: no image to look for` };
  return {
    kind: 'ref',
    reference: pushed.reference,
    id: { digest: pushed.digest },
    source: `last pushed, .mlp/builds/${service}.json`,
    note: `${note}: looked for the image the last mlp push recorded instead`,
  };
}

async function deployedImage(
  context: CommandContext,
  project: ProjectConfig,
  service: string,
): Promise<{ reference: string; source: string } | { why: string }> {
  const namespace = namespaceOf(project.config);
  try {
    const kube = await clusterForRun(context);
    const deployment = await kube.apps.readNamespacedDeployment({ name: service, namespace }).catch((error: unknown) => {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    });
    if (!deployment) return { why: `no Deployment ${service} in namespace ${namespace}` };
    const containers = deployment.spec?.template.spec?.containers ?? [];
    const image = (containers.find((container) => container.name === 'serving') ?? containers[0])?.image;
    if (!image) return { why: `Deployment ${service} names no image` };
    return { reference: image, source: `Deployment ${service} in namespace ${namespace}` };
  } catch (error) {
    return { why: `the cluster could not be read (${(error as Error).message})` };
  }
}
