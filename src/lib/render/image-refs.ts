/**
 * Which image a workload runs, from what `mlp build` and `mlp push` recorded in .mlp/builds/<image>.json: the pushed
 * digest (image@sha256:…, immutable, what a cluster should run), else the local content tag, else a placeholder with
 * a warning, so `mlp render` still shows the manifests before anything is built.
 */
import type { ProjectConfig } from '../config/load.js';
import { readBuildRecord } from '../image/build-record.js';
import { imageRepository } from '../image/image-names.js';
import type { ImageRef } from './render-context.js';

export async function imageRef(project: ProjectConfig, image: string, warn: (line: string) => void): Promise<ImageRef> {
  const record = await readBuildRecord(project.dir, image);
  if (!record) {
    const reference = `${imageRepository(project.config.name, image)}:latest`;
    warn(`${image} is not built yet; the manifests name ${reference} (run "mlp build"${project.config.registry ? ' and "mlp push"' : ''})`);
    return { reference, version: 'latest' };
  }
  const version = record.modelVersion ?? record.tags[0] ?? 'latest';
  if (record.pushed) return { reference: record.pushed.reference, version };
  const reference = `${record.repository}:${record.tags[0]}`;
  if (project.config.deploy.target === 'eks')
    warn(`${image} is not pushed yet; the manifests name the local image ${reference}, which the cluster cannot pull (run "mlp push")`);
  return { reference, version };
}
