/**
 * The deploy stage on the eks target: render the manifests, server-side apply them in dependency order (pruning
 * what is no longer rendered), then watch every Deployment's rollout. A rollout that fails is rolled back to the
 * previous revision (deploy.rollback; --no-rollback keeps the failure for inspection) and the cause is reported
 * with its own exit code.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { CommandContext } from '../context.js';
import { MlpError } from '../errors.js';
import { applyObjects, type AppliedObject } from '../kube/apply.js';
import { clusterAccess, type ClusterAccess } from '../kube/cluster-access.js';
import { REVISION_ANNOTATION, rollBackAndWait, watchRollout } from '../kube/rollout.js';
import { namespaceOf } from '../render/render-context.js';
import { recordRelease } from '../pipeline/run-releases.js';
import { deploymentKey } from '../verify/cluster.js';
import type { ProjectConfig } from '../config/load.js';

export interface EksDeployOptions {
  dryRun?: boolean;
  /** Overrides deploy.rollback (--no-rollback). */
  rollback?: boolean;
}

export interface EksDeployResult {
  cluster: string;
  namespace: string;
  applied: AppliedObject[];
  rolledOut: string[];
}

async function hasServiceMonitorCrd(kubeConfig: KubeConfig): Promise<boolean> {
  const { ApiextensionsV1Api } = await import('@kubernetes/client-node');
  try {
    await kubeConfig.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: 'servicemonitors.monitoring.coreos.com' });
    return true;
  } catch {
    return false;
  }
}

export async function deployToCluster(context: CommandContext, options: EksDeployOptions = {}): Promise<EksDeployResult> {
  const project = await context.loadConfig();
  const { config } = project;
  const { access, objects } = await renderForCluster(context, project);
  const { kubeConfig } = access;
  const namespace = namespaceOf(config);
  const deployments = objects.filter((object) => object.kind === 'Deployment');
  const revisionsBefore = options.dryRun ? new Map<string, string | undefined>() : await currentRevisions(kubeConfig, namespace, deployments);
  const applied = await applyObjects(kubeConfig, objects, {
    project: config.name,
    namespace,
    dryRun: options.dryRun === true,
    prune: true,
    log: (line) => context.output.info(line),
  });
  if (options.dryRun) return { cluster: access.source, namespace, applied, rolledOut: [] };

  const rollback = options.rollback ?? config.deploy.rollback;
  const deadline = Date.now() + config.deploy.timeoutSeconds * 1000;
  const rolledOut: string[] = [];
  for (const deployment of deployments) {
    const name = deployment.metadata!.name!;
    try {
      const revision = await watchRollout(kubeConfig, { namespace, name, deadline }, context.signal, (line) => context.output.info(line));
      rolledOut.push(name);
      // The test stage rolls back only what this run released (a changed template makes a new revision).
      if (revision !== undefined && revision !== revisionsBefore.get(name)) recordRelease(context, deploymentKey(namespace, name), revision);
    } catch (error) {
      if (!(error instanceof MlpError) || !rollback) throw error;
      const restored = await rollBackAndWait(
        kubeConfig,
        { namespace, name, timeoutSeconds: config.deploy.timeoutSeconds },
        context.signal,
        (back) => context.output.warn(`${name}: rolling back to revision ${back.revision} (ReplicaSet ${back.replicaSet})`),
        (line) => context.output.info(line),
      );
      if (!restored) {
        throw new MlpError(error.kind, error.message, { details: [...error.details, 'nothing to roll back to: this was the first revision'] });
      }
      throw new MlpError(error.kind, error.message, {
        details: [...error.details, `rolled back to revision ${restored.revision} (ReplicaSet ${restored.replicaSet}), which is available again`],
        hint: 'fix the cause and deploy again; --no-rollback keeps a failed rollout in place for inspection',
      });
    }
  }
  return { cluster: access.source, namespace, applied, rolledOut };
}

/** Each Deployment's deployment.kubernetes.io/revision, undefined when it does not exist yet. */
async function currentRevisions(kubeConfig: KubeConfig, namespace: string, deployments: readonly KubernetesObject[]): Promise<Map<string, string | undefined>> {
  const { AppsV1Api } = await import('@kubernetes/client-node');
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const revisions = new Map<string, string | undefined>();
  for (const deployment of deployments) {
    const name = deployment.metadata!.name!;
    const found = await apps.readNamespacedDeployment({ name, namespace }).catch((error: unknown) => {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    });
    revisions.set(name, found?.metadata?.annotations?.[REVISION_ANNOTATION]);
  }
  return revisions;
}

/** The deploy pipeline's render stage: renders once, so a template or config problem stops the run before any apply. */
export async function renderStage(context: CommandContext): Promise<void> {
  const project = await context.loadConfig();
  const { renderManifests } = await import('../render/renderer.js');
  const objects = await renderManifests(project, { workloads: 'services', warn: (line: string) => context.output.warn(line) });
  context.output.info(`rendered ${objects.length} objects for namespace ${namespaceOf(project.config)}`);
}

/** The deploy pipeline's deploy stage on the eks target. */
export async function deployEksStage(context: CommandContext): Promise<void> {
  await deployToCluster(context);
}

/** `mlp rollback [service] [--to-revision N]`: the previous (or the given) revision of each service's Deployment. */
export async function rollbackServices(context: CommandContext, services: readonly string[], toRevision?: number): Promise<Array<{ service: string; revision: number; replicaSet: string }>> {
  const project = await context.loadConfig();
  const { config } = project;
  const { kubeConfig } = await clusterAccess(config, context.io.env, context.signal);
  const namespace = namespaceOf(config);
  const names = services.length > 0 ? services : config.services.map((service) => service.name);
  const results = [];
  for (const name of names) {
    if (!config.services.some((service) => service.name === name)) throw new MlpError('usage', `mlp.yaml has no service ${name}.`);
    const log = (line: string): void => context.output.info(line);
    const restored = await rollBackAndWait(kubeConfig, { namespace, name, timeoutSeconds: config.deploy.timeoutSeconds, toRevision }, context.signal, () => undefined, log).catch(
      (error: unknown) => {
        if ((error as { code?: number }).code === 404) throw new MlpError('rollout', `${name} is not deployed in namespace ${namespace}: there is nothing to roll back.`);
        throw error;
      },
    );
    if (!restored) {
      throw new MlpError('rollout', `${name} has no ${toRevision === undefined ? 'previous revision' : `revision ${toRevision}`} to roll back to.`, {
        hint: 'kubectl rollout history deployment/<service> lists the revisions',
      });
    }
    results.push({ service: name, ...restored });
  }
  return results;
}

/** `mlp diff`: what `mlp deploy` would change on the cluster (a server-side dry run per object). */
export async function diffCluster(context: CommandContext, services?: readonly string[]) {
  const project = await context.loadConfig();
  const { access, objects } = await renderForCluster(context, project, services);
  const { diffObjects } = await import('../kube/diff.js');
  return diffObjects(access.kubeConfig, objects);
}

/** Reaches the cluster and renders for it (a ServiceMonitor only where the CRD exists): what deploy and diff apply. */
async function renderForCluster(context: CommandContext, project: ProjectConfig, services?: readonly string[]): Promise<{ access: ClusterAccess; objects: KubernetesObject[] }> {
  const access = await clusterAccess(project.config, context.io.env, context.signal);
  context.output.info(`cluster: ${access.source}`);
  const { renderManifests } = await import('../render/renderer.js');
  const objects = await renderManifests(project, {
    services,
    workloads: 'services',
    serviceMonitor: await hasServiceMonitorCrd(access.kubeConfig),
    warn: (line: string) => context.output.warn(line),
  });
  return { access, objects: objects as KubernetesObject[] };
}
