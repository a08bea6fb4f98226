/**
 * Draining the nodes that go, as `kubectl drain` does: cordon them, then ask the API server to evict each pod
 * (policy/v1 Eviction), so PodDisruptionBudgets are enforced by the API server itself. An eviction a budget refuses
 * (429) is retried with backoff until `timeoutMs`; then the refusing budgets are named and the nodes stay cordoned,
 * so a re-run continues where this one stopped.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { MlpError } from '../errors.js';
import { CORDONED_BY_ANNOTATION, describeBudget, isEvictable, selects } from './plan.js';
import { sleep } from './wait.js';

export type DrainClients = Pick<KubeClient, 'core' | 'policy' | 'mergePatch'>;

export interface DrainOptions {
  timeoutMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
  /** First retry delay after a refusal; doubles up to 5 s. */
  backoffMs?: number;
}

export interface DrainResult {
  /** Evictions the API server accepted. */
  evicted: number;
  /** Eviction requests a PodDisruptionBudget refused (429), retries included. */
  refused: number;
}

const status = (error: unknown): number | undefined => (error as { code?: number }).code;

/** Marks the nodes unschedulable (and as cordoned by mlp, for a re-run and for `mlp scale up`). */
export async function cordon(kube: DrainClients, nodes: readonly string[], when = new Date()): Promise<void> {
  for (const name of nodes) {
    await kube.core.patchNode(
      {
        name,
        body: {
          spec: { unschedulable: true },
          metadata: { annotations: { [CORDONED_BY_ANNOTATION]: `mlp scale down at ${when.toISOString()}` } },
        },
      },
      kube.mergePatch,
    );
  }
}

/** Makes the nodes schedulable again and drops mlp's mark. */
export async function uncordon(kube: DrainClients, nodes: readonly string[]): Promise<void> {
  for (const name of nodes) {
    await kube.core.patchNode(
      { name, body: { spec: { unschedulable: null }, metadata: { annotations: { [CORDONED_BY_ANNOTATION]: null } } } },
      kube.mergePatch,
    );
  }
}

async function podsOn(kube: DrainClients, nodes: readonly string[]): Promise<V1Pod[]> {
  const pods: V1Pod[] = [];
  for (const node of nodes) pods.push(...(await kube.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })).items);
  return pods;
}

const podKey = (pod: V1Pod): string => `${pod.metadata!.namespace}/${pod.metadata!.name}`;

/** The budgets that select `pod`, for the message that says who blocks. */
async function budgetsOf(kube: DrainClients, pod: V1Pod): Promise<string[]> {
  const namespace = pod.metadata!.namespace!;
  const list = await kube.policy.listNamespacedPodDisruptionBudget({ namespace }).catch(() => ({ items: [] }));
  return list.items.filter((pdb) => selects(pdb.spec?.selector, pod.metadata?.labels)).map((pdb) => `${namespace}/${describeBudget(pdb)}`);
}

/**
 * Evicts every evictable pod on `nodes` (already cordoned) and waits until they are gone. Refusals are retried until
 * the deadline, then → MlpError('drainBlocked') naming the budgets; Ctrl-C → MlpError('interrupted'). Both say the
 * nodes stay cordoned.
 */
export async function drain(kube: DrainClients, nodes: readonly string[], options: DrainOptions): Promise<DrainResult> {
  const deadline = Date.now() + options.timeoutMs;
  const result: DrainResult = { evicted: 0, refused: 0 };
  const stayCordoned = `nodes ${nodes.join(', ')} stay cordoned; run mlp scale down again to continue (or mlp scale up to uncordon them)`;
  let delay = options.backoffMs ?? 1000;
  const blocked = new Map<string, { pod: V1Pod; message: string }>();
  const evictedPods = new Map<string, string | undefined>();
  try {
    for (;;) {
      const pending = (await podsOn(kube, nodes)).filter(isEvictable).filter((pod) => evictedPods.get(podKey(pod)) !== pod.metadata?.uid);
      if (pending.length === 0) break;
      blocked.clear();
      for (const pod of pending) {
        options.signal.throwIfAborted();
        const { name, namespace } = pod.metadata as { name: string; namespace: string };
        try {
          await kube.core.createNamespacedPodEviction({
            name,
            namespace,
            body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
          });
          result.evicted += 1;
          evictedPods.set(podKey(pod), pod.metadata?.uid);
          options.log(`evicted pod ${namespace}/${name} from ${pod.spec?.nodeName}`);
        } catch (error) {
          if (status(error) === 404) continue; // gone already
          if (status(error) !== 429) throw error;
          result.refused += 1;
          blocked.set(podKey(pod), { pod, message: causeOf(error) });
        }
      }
      if (blocked.size === 0) continue;
      if (Date.now() >= deadline) {
        const lines: string[] = [];
        for (const { pod, message } of blocked.values()) {
          const budgets = await budgetsOf(kube, pod);
          lines.push(
            `${podKey(pod)}: refused by PodDisruptionBudget ${budgets.join(', ') || '(none found)'}${message ? ` — ${message}` : ''}`,
          );
        }
        const names = [...new Set((await Promise.all([...blocked.values()].map(({ pod }) => budgetsOf(kube, pod)))).flat())];
        throw new MlpError(
          'drainBlocked',
          `PodDisruptionBudget ${names.join(', ') || '(unknown)'} kept refusing evictions for ${Math.round(options.timeoutMs / 1000)} s; ${stayCordoned}.`,
          {
            details: [...lines, `${result.evicted} pod(s) evicted, ${result.refused} eviction request(s) refused`],
            hint: 'give the pods somewhere to go (more replicas elsewhere, a node outside this nodegroup) or relax the budget, then re-run; --drain-timeout waits longer',
          },
        );
      }
      const wait = Math.max(0, Math.min(delay, deadline - Date.now()));
      options.log(`${blocked.size} eviction(s) refused by a PodDisruptionBudget; retrying in ${Math.round(wait / 100) / 10} s`);
      await sleep(wait, options.signal);
      delay = Math.min(delay * 2, 5000);
    }
    await waitUntilGone(kube, nodes, evictedPods, deadline + 60_000, options);
    return result;
  } catch (error) {
    if (options.signal.aborted && !(error instanceof MlpError))
      throw new MlpError('interrupted', `Interrupted while draining; ${stayCordoned}.`, { cause: error });
    throw error;
  }
}

/** The message of a refused eviction: the API server's cause ("The disruption budget x needs 2 healthy pods…"). */
function causeOf(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as {
      details?: { causes?: Array<{ message?: string }> };
      message?: string;
    };
    return (
      parsed?.details?.causes
        ?.map((c) => c.message)
        .filter(Boolean)
        .join('; ') ||
      parsed?.message ||
      ''
    );
  } catch {
    return '';
  }
}

/** Waits for the evicted pods to be deleted (their grace period runs); past the deadline it warns and goes on. */
async function waitUntilGone(
  kube: DrainClients,
  nodes: readonly string[],
  evicted: ReadonlyMap<string, string | undefined>,
  deadline: number,
  options: DrainOptions,
): Promise<void> {
  for (;;) {
    const left = (await podsOn(kube, nodes)).filter((pod) => evicted.get(podKey(pod)) === pod.metadata?.uid);
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      options.log(`warning: ${left.length} evicted pod(s) are still terminating (${left.map(podKey).join(', ')}); going on`);
      return;
    }
    await sleep(1000, options.signal);
  }
}
