/**
 * The deploy pipeline's render stage on the eks target. It reaches the cluster first, because what is rendered
 * depends on it (a ServiceMonitor only where the Prometheus Operator's CRD exists), and renders once: the deploy
 * stage applies exactly these objects, and a template or config problem stops the run before anything is applied.
 * `mlp diff` and `mlp deploy --dry-run=server` render the same way.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ProjectConfig } from '../config/load.js';
import type { CommandContext } from '../context.js';
import type { KubeClient } from '../kube/client.js';
import { clusterForRun } from '../per-run.js';
import { namespaceOf } from './render-context.js';

export interface RenderedForCluster {
  /** undefined when the plan skips the deploy stage: then nothing needs the cluster. */
  access: KubeClient | undefined;
  objects: KubernetesObject[];
}

async function hasServiceMonitorCrd(kube: KubeClient): Promise<boolean> {
  try {
    await kube.apiextensions.readCustomResourceDefinition({ name: 'servicemonitors.monitoring.coreos.com' });
    return true;
  } catch {
    return false;
  }
}

/** Reaches the cluster and renders the services' objects for it: what deploy, diff and the server dry run apply. */
export async function renderForCluster(
  context: CommandContext,
  project: ProjectConfig,
  services?: readonly string[],
): Promise<RenderedForCluster & { access: KubeClient }> {
  const access = await clusterForRun(context);
  context.output.info(`cluster: ${access.source}`);
  const { renderManifests } = await import('./renderer.js');
  const objects = await renderManifests(project, {
    services,
    workloads: 'services',
    serviceMonitor: await hasServiceMonitorCrd(access),
    warn: (line: string) => context.output.warn(line),
  });
  return { access, objects: objects as KubernetesObject[] };
}

/**
 * The deploy pipeline's render stage. `forDeploy`: the deploy stage runs next and applies these objects; without
 * it the stage only checks that everything renders, which needs no cluster.
 */
export async function renderStage(context: CommandContext, forDeploy: boolean): Promise<RenderedForCluster> {
  const project = await context.loadConfig();
  const rendered = forDeploy ? await renderForCluster(context, project) : await renderOffline(context, project);
  context.output.info(`rendered ${rendered.objects.length} objects for namespace ${namespaceOf(project.config)}`);
  return rendered;
}

async function renderOffline(context: CommandContext, project: ProjectConfig): Promise<RenderedForCluster> {
  const { renderManifests } = await import('./renderer.js');
  const objects = await renderManifests(project, { workloads: 'services', warn: (line: string) => context.output.warn(line) });
  return { access: undefined, objects: objects as KubernetesObject[] };
}
