/**
 * Renders the project's Kubernetes objects from mlp's templates (templates/k8s, shipped in the package): the
 * project's once, each service's once per service, the training Job when training runs remotely. Returns plain
 * objects in the order they can be applied in (a Namespace before what lives in it, a ServiceAccount before the
 * Deployment that names it, the Deployment before its HPA).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProjectConfig } from '../config/load.js';
import { selectServices } from '../config/select-services.js';
import { MlpError } from '../errors.js';
import { TRAINING_IMAGE } from '../image/training-inputs.js';
import { PACKAGE_ROOT, packageFile } from '../package-root.js';
import { imageRef } from './image-refs.js';
import { projectContext, serviceContext, trainingContext } from './render-context.js';
import { renderTemplate, type TemplateContext } from './template.js';

export interface RenderOptions {
  /** --service: only these services' objects (the project's objects and the training Job are always rendered). */
  services?: readonly string[] | undefined;
  /** Whether the cluster has the ServiceMonitor CRD; without it no ServiceMonitor is rendered. */
  serviceMonitor?: boolean | undefined;
  /**
   * Which workloads beside the project's objects: `services` is what mlp deploy applies, `training` what the train
   * stage applies to run one training (its ServiceAccount and Job), `all` (default) both, for mlp render.
   */
  workloads?: 'all' | 'services' | 'training' | undefined;
  /** MLP_MODEL_VERSION for the training Job, and where it uploads that version's model (MLP_ARTIFACTS_URI). */
  training?: { version: string; artifactsUri: string } | undefined;
  /** Where warnings go (a service that is not built yet); default: nowhere. */
  warn?: ((line: string) => void) | undefined;
  /** Another templates/k8s directory (tests). */
  templatesDir?: string | undefined;
}

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Apply order. A kind mlp does not know (from an edited template) goes last. */
export const KIND_ORDER = [
  'Namespace',
  'ResourceQuota',
  'LimitRange',
  'ServiceAccount',
  'ConfigMap',
  'Service',
  'Deployment',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'NetworkPolicy',
  'Ingress',
  'Job',
  'ServiceMonitor',
] as const;

interface Template {
  file: string;
  text: string;
}

export async function renderManifests(project: ProjectConfig, options: RenderOptions = {}): Promise<RenderedObject[]> {
  const root = options.templatesDir ?? packageFile('templates/k8s');
  const warn = options.warn ?? (() => undefined);
  const { config } = project;
  const services = selectServices(config, options.services);
  const [projectTemplates, serviceTemplates] = await Promise.all([
    readTemplates(path.join(root, 'project')),
    readTemplates(path.join(root, 'service')),
  ]);

  const workloads = options.workloads ?? 'all';
  const objects = fill(projectTemplates, projectContext(config));
  for (const service of workloads === 'training' ? [] : services) {
    const image = await imageRef(project, service.name, warn);
    objects.push(...fill(serviceTemplates, serviceContext(config, service, image, { serviceMonitor: options.serviceMonitor === true })));
  }
  if (workloads !== 'services' && config.training?.remote?.enabled) {
    const image = await imageRef(project, TRAINING_IMAGE, warn);
    objects.push(...fill(await readTemplates(path.join(root, 'training')), trainingContext(config, image, options.training)));
  }
  return sortForApply(objects);
}

/** The .yaml files of a directory in name order, with the names errors show. */
async function readTemplates(dir: string): Promise<Template[]> {
  const names = (await readdir(dir).catch(() => missing(dir))).filter((name) => name.endsWith('.yaml')).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      const text = await readFile(file, 'utf8').catch(() => missing(file));
      const shown = path.relative(PACKAGE_ROOT, file);
      return { file: shown.startsWith('..') ? file : shown, text };
    }),
  );
}

function missing(where: string): never {
  throw new MlpError('render', `mlp's Kubernetes templates are missing: ${where} cannot be read.`, {
    hint: 'reinstall mlp; templates/k8s ships in its package',
  });
}

function fill(templates: readonly Template[], context: object): RenderedObject[] {
  return templates.flatMap((template) =>
    renderTemplate(template.file, template.text, context as TemplateContext).map((value) => checkObject(template.file, value)),
  );
}

function checkObject(file: string, value: unknown): RenderedObject {
  const object = value as Partial<RenderedObject> | null;
  const ok =
    object !== null &&
    typeof object === 'object' &&
    typeof object.apiVersion === 'string' &&
    typeof object.kind === 'string' &&
    typeof object.metadata?.name === 'string';
  if (!ok) throw new MlpError('render', `${file}: a document is not a Kubernetes object (it needs apiVersion, kind and metadata.name).`);
  return object as RenderedObject;
}

/** Stable: objects of the same kind keep their order (project, then services as mlp.yaml lists them). */
function sortForApply(objects: RenderedObject[]): RenderedObject[] {
  const rank = (object: RenderedObject): number => {
    const index = (KIND_ORDER as readonly string[]).indexOf(object.kind);
    return index === -1 ? KIND_ORDER.length : index;
  };
  return objects
    .map((object, index) => ({ object, index }))
    .sort((a, b) => rank(a.object) - rank(b.object) || a.index - b.index)
    .map(({ object }) => object);
}
