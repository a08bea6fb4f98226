/** `mlp diff`: renders exactly as the deploy stage does and asks the cluster what applying it would change. */
import type { CommandContext } from '../context.js';
import { renderForCluster } from '../render/stage.js';

/** `mlp diff`: what `mlp deploy` would change on the cluster (a server-side dry run per object). */
export async function diffCluster(context: CommandContext, services?: readonly string[]) {
  const project = await context.loadConfig();
  const { access, objects } = await renderForCluster(context, project, services);
  const { diffObjects } = await import('../kube/diff.js');
  return diffObjects(access, objects);
}
