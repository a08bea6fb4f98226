/**
 * Check 5 of `mlp debug sagemaker`: the service's own GET /ready on a ready pod, through a port-forward as `mlp test`
 * reaches it. The serving app answers 200 only once its warm-up InvokeEndpoint succeeded, so this is the pods'
 * own view of the endpoint with their own credentials and region.
 */
import type { KubeClient } from '../kube/client.js';
import { withPortForward } from '../kube/port-forward.js';
import { fetchWithin } from '../http.js';
import type { CheckRecord } from './check.js';

const READY_TIMEOUT_MS = 10_000;

export async function readyRecord(
  kube: KubeClient,
  namespace: string,
  service: { name: string; port: number },
  pod: string,
  signal: AbortSignal,
): Promise<CheckRecord> {
  const base = { check: 'sagemaker.ready', subject: service.name };
  try {
    const answer = await withPortForward(kube, namespace, pod, service.port, (baseUrl) =>
      fetchWithin(`${baseUrl}/ready`, { method: 'GET' }, READY_TIMEOUT_MS, signal),
    );
    if (answer.status === 200) return { ...base, status: 'pass', saw: `GET /ready on pod ${pod} answered 200` };
    const body = answer.body.length > 300 ? `${answer.body.slice(0, 300)}…` : answer.body;
    return {
      ...base,
      status: 'fail',
      saw: `GET /ready on pod ${pod} answered ${answer.status}: ${body}`,
      fix: `the pod's warm-up InvokeEndpoint fails: see why with mlp logs ${service.name}`,
    };
  } catch (error) {
    return {
      ...base,
      status: 'fail',
      saw: `GET /ready on pod ${pod} got no answer through a port-forward: ${(error as Error).message}`,
      fix: `mlp debug pods ${service.name}`,
    };
  }
}
