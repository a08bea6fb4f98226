/**
 * Facts that one mlp invocation looks up once and every stage reuses: the cluster's access (an EKS token costs a
 * DescribeCluster and an STS signature) and its nodes' platform (a DescribeNodegroup, or a node list). Kept per
 * command context, like run-releases.ts, so two runs in one process (the in-process tests) never share them.
 */
import type { CommandContext } from './context.js';
import type { PlatformChoice } from './image/platform.js';
import type { KubeClient } from './kube/client.js';

const facts = new WeakMap<object, Map<string, Promise<unknown>>>();

/** `find`'s answer for this run and key; a failed lookup is forgotten so a later stage may try again. */
export function oncePerRun<T>(run: object, key: string, find: () => Promise<T>): Promise<T> {
  let known = facts.get(run);
  if (!known) facts.set(run, (known = new Map()));
  const cached = known.get(key) as Promise<T> | undefined;
  if (cached) return cached;
  const found = find();
  known.set(key, found);
  found.catch(() => known.delete(key));
  return found;
}

/** The cluster this run deploys to (cluster.context's kubeconfig, or EKS by cluster.name), reached once. */
export async function clusterForRun(context: CommandContext): Promise<KubeClient> {
  const { config } = await context.loadConfig();
  return oncePerRun(context, 'cluster', async () => {
    const { openKubeClient } = await import('./kube/client.js');
    const { maskSecret } = await import('./github-actions/masking.js');
    // An EKS bearer token is a credential: masked on GitHub Actions before anything could print it.
    return openKubeClient(config, context.io.env, context.signal, (token) => maskSecret(context.output.actions?.core, token));
  });
}

/** The platform the cluster's nodes run, looked up once for the build and the push stage. */
export async function nodesPlatformForRun(context: CommandContext): Promise<PlatformChoice> {
  const { config } = await context.loadConfig();
  return oncePerRun(context, 'nodes-platform', async () => {
    const { clusterPlatform } = await import('./image/platform.js');
    return clusterPlatform(config, context.io.env, context.signal, () => clusterForRun(context));
  });
}
