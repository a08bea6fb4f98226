/** `mlp rollback`: a service's Deployment back to its previous (or a given) revision, and wait until it is available. */
import { selectServices } from '../config/select-services.js';
import type { CommandContext } from '../context.js';
import { MlpError } from '../errors.js';
import { rollBackAndWait } from '../kube/rollout.js';
import { clusterForRun } from '../per-run.js';
import { namespaceOf } from '../render/render-context.js';

/** `mlp rollback [service] [--to-revision N]`: the previous (or the given) revision of each service's Deployment. */
export async function rollbackServices(
  context: CommandContext,
  services: readonly string[],
  toRevision?: number,
): Promise<Array<{ service: string; revision: number; replicaSet: string }>> {
  const project = await context.loadConfig();
  const { config } = project;
  const names = selectServices(config, services).map((service) => service.name);
  const kube = await clusterForRun(context);
  const namespace = namespaceOf(config);
  const results = [];
  for (const name of names) {
    const log = (line: string): void => context.output.info(line);
    const restored = await rollBackAndWait(
      kube,
      { namespace, name, timeoutSeconds: config.deploy.timeoutSeconds, toRevision },
      context.signal,
      () => undefined,
      log,
    ).catch((error: unknown) => {
      if ((error as { code?: number }).code === 404)
        throw new MlpError('rollout', `${name} is not deployed in namespace ${namespace}: there is nothing to roll back.`);
      throw error;
    });
    if (!restored) {
      throw new MlpError(
        'rollout',
        `${name} has no ${toRevision === undefined ? 'previous revision' : `revision ${toRevision}`} to roll back to.`,
        {
          hint: 'kubectl rollout history deployment/<service> lists the revisions',
        },
      );
    }
    results.push({ service: name, ...restored });
  }
  return results;
}
