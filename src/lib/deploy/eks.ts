/**
 * The deploy stage on the eks target: server-side apply the render stage's objects in dependency order (pruning
 * what is no longer rendered), then watch every Deployment's rollout. A rollout that fails is rolled back to the
 * previous revision (deploy.rollback; --no-rollback keeps the failure for inspection) and the cause is reported
 * with its own exit code.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { clusterForRun } from '../per-run.js';
import { renderForCluster, type RenderedForCluster } from '../render/stage.js';
import type { EksDeployResult } from './deploy-result.js';
import type { CommandContext } from '../context.js';
import { MlpError } from '../errors.js';
import { applyObjects, type AppliedObject } from '../kube/apply.js';
import { REVISION_ANNOTATION, rollBackAndWait, watchRollout } from '../kube/rollout.js';
import { namespaceOf } from '../render/render-context.js';
import { deploymentKey, recordRelease, recordRollback } from '../pipeline/run-releases.js';
import { quotaTransition } from './quota-transition.js';

export interface EksDeployOptions {
  dryRun?: boolean;
  /** Overrides deploy.rollback (--no-rollback). */
  rollback?: boolean;
}

/** Applies `rendered` (the render stage's objects; rendered here when that stage was skipped) and watches the rollouts. */
export async function deployToCluster(
  context: CommandContext,
  options: EksDeployOptions = {},
  rendered?: RenderedForCluster,
): Promise<EksDeployResult> {
  const project = await context.loadConfig();
  const { config } = project;
  const { objects } = rendered ?? (await renderForCluster(context, project));
  const access = rendered?.access ?? (await clusterForRun(context));
  const namespace = namespaceOf(config);
  const deployments = objects.filter((object) => object.kind === 'Deployment');
  const revisionsBefore = options.dryRun ? new Map<string, string | undefined>() : await currentRevisions(access, namespace, deployments);
  // A dry run shows the quota as rendered; a real one shrinks it only once the old pods are gone.
  const quota = options.dryRun ? { objects: [...objects], final: [] } : await quotaTransition(access, objects);
  const applied = await applyObjects(access, quota.objects, {
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
      const revision = await watchRollout(access, { namespace, name, deadline }, context.signal, (line) => context.output.info(line));
      rolledOut.push(name);
      // The test stage rolls back only what this run released (a changed template makes a new revision).
      if (revision !== undefined && revision !== revisionsBefore.get(name))
        recordRelease(context, deploymentKey(namespace, name), revision);
    } catch (error) {
      if (!(error instanceof MlpError) || !rollback) throw error;
      const restored = await rollBackAndWait(
        access,
        { namespace, name, timeoutSeconds: config.deploy.timeoutSeconds },
        context.signal,
        (back) => context.output.warn(`${name}: rolling back to revision ${back.revision} (ReplicaSet ${back.replicaSet})`),
        (line) => context.output.info(line),
      );
      if (restored) recordRollback(context, name, `revision ${restored.revision} (ReplicaSet ${restored.replicaSet})`);
      if (!restored) {
        throw new MlpError(error.kind, error.message, {
          details: [...error.details, 'nothing to roll back to: this was the first revision'],
        });
      }
      throw new MlpError(error.kind, error.message, {
        details: [
          ...error.details,
          `rolled back to revision ${restored.revision} (ReplicaSet ${restored.replicaSet}), which is available again`,
        ],
        hint: 'fix the cause and deploy again; --no-rollback keeps a failed rollout in place for inspection',
      });
    }
  }
  if (quota.final.length > 0) {
    await applyObjects(access, quota.final, {
      project: config.name,
      namespace,
      dryRun: false,
      prune: false,
      log: (line) => context.output.info(`${line} (lowered now that the rollouts are done)`),
    });
  }
  return { cluster: access.source, namespace, applied, rolledOut };
}

/** Each Deployment's deployment.kubernetes.io/revision, undefined when it does not exist yet. */
async function currentRevisions(
  kube: KubeClient,
  namespace: string,
  deployments: readonly KubernetesObject[],
): Promise<Map<string, string | undefined>> {
  const { apps } = kube;
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

/** The deploy stage on the eks target: applies what the render stage rendered. */
export const eksDeployer = {
  deploy: async (context: CommandContext, rendered: RenderedForCluster | undefined) => ({
    target: 'eks' as const,
    ...(await deployToCluster(context, {}, rendered)),
  }),
};
