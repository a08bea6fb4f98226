import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { MlpError } from '../errors.js';
import { drain, type DrainClients } from './drain.js';

/** A cluster of pods on node n1 whose evictions `refuse` decides (true → 429, as a PodDisruptionBudget does). */
function fakeCluster(refuse: (pod: string, attempt: number) => boolean) {
  const pods = new Map<string, V1Pod>(
    ['api-1', 'api-2'].map((name) => [
      name,
      {
        metadata: { name, namespace: 'ml', uid: name, labels: { app: 'api' } },
        spec: { nodeName: 'n1', containers: [] },
        status: { phase: 'Running' },
      },
    ]),
  );
  const attempts = new Map<string, number>();
  const kube = {
    core: {
      listPodForAllNamespaces: async () => ({ items: [...pods.values()] }),
      createNamespacedPodEviction: async ({ name }: { name: string }) => {
        const attempt = (attempts.get(name) ?? 0) + 1;
        attempts.set(name, attempt);
        if (refuse(name, attempt))
          throw Object.assign(new Error('Too Many Requests'), {
            code: 429,
            body: JSON.stringify({
              details: { causes: [{ message: 'The disruption budget api needs 2 healthy pods and has 2 currently' }] },
            }),
          });
        pods.delete(name);
        return {};
      },
    },
    policy: {
      listNamespacedPodDisruptionBudget: async () => ({
        items: [{ metadata: { name: 'api' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'api' } } } }],
      }),
    },
    mergePatch: {},
  } as unknown as DrainClients;
  return { kube, attempts };
}

const options = (timeoutMs: number, signal = new AbortController().signal) => ({ timeoutMs, signal, log: () => undefined, backoffMs: 5 });

describe('drain', () => {
  it('retries evictions a budget refuses until it lets them through', async () => {
    const { kube } = fakeCluster((pod, attempt) => pod === 'api-2' && attempt < 3);
    expect(await drain(kube, ['n1'], options(5000))).toEqual({ evicted: 2, refused: 2 });
  });

  it('names the budget that keeps refusing and says the nodes stay cordoned (exit 72)', async () => {
    const { kube, attempts } = fakeCluster(() => true);
    const error = (await drain(kube, ['n1'], options(100)).catch((e: unknown) => e)) as MlpError;
    expect(error).toBeInstanceOf(MlpError);
    expect(error.exitCode).toBe(72);
    expect(error.message).toMatch(
      /^PodDisruptionBudget ml\/api \(minAvailable 2\) kept refusing evictions for 0 s; nodes n1 stay cordoned; run mlp scale down again/,
    );
    expect(error.details[0]).toContain(
      'ml/api-1: refused by PodDisruptionBudget ml/api (minAvailable 2) — The disruption budget api needs 2 healthy pods',
    );
    expect(attempts.get('api-1')).toBeGreaterThan(1);
  });

  it('stops on Ctrl-C with the nodes cordoned (exit 130)', async () => {
    const { kube } = fakeCluster(() => true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = (await drain(kube, ['n1'], options(60_000, controller.signal)).catch((e: unknown) => e)) as MlpError;
    expect(error.exitCode).toBe(130);
    expect(error.message).toContain('Interrupted while draining; nodes n1 stay cordoned');
  });
});
