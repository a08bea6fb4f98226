/**
 * The test stage on the eks target: each service's smoke requests, sent to one of its ready pods of the current
 * revision through a port-forward. A failure after this run rolled out a new revision rolls it back
 * (deploy.rollback), as a failed rollout does.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import type { CommandContext } from '../context.js';
import type { ServiceConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import { clusterForRun } from '../per-run.js';
import { withPortForward } from '../kube/port-forward.js';
import { REVISION_ANNOTATION, rollBackAndWait } from '../kube/rollout.js';
import { runSmokeTests, type SmokeTestResult } from './smoke-requests.js';
import { namespaceOf } from '../render/render-context.js';
import { deploymentKey, recordRollback, releasedThisRun } from '../pipeline/run-releases.js';

/** A ready pod of the Deployment's current revision, and that revision. */
export async function readyPod(
  kube: KubeClient,
  namespace: string,
  deployment: string,
): Promise<{ pod: V1Pod; revision: string | undefined }> {
  const { apps } = kube;
  const found = await apps.readNamespacedDeployment({ name: deployment, namespace }).catch((error: unknown) => {
    if ((error as { code?: number }).code === 404)
      throw new MlpError('smokeTest', `${deployment} is not deployed in namespace ${namespace}.`, { hint: 'run mlp deploy first' });
    throw error;
  });
  const selector = Object.entries(found.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const revision = found.metadata?.annotations?.[REVISION_ANNOTATION];
  const sets = (await apps.listNamespacedReplicaSet({ namespace, labelSelector: selector })).items;
  const current = sets.find((rs) => rs.metadata?.annotations?.[REVISION_ANNOTATION] === revision);
  const hash = current?.metadata?.labels?.['pod-template-hash'];
  const pods = (await kube.core.listNamespacedPod({ namespace, labelSelector: hash ? `${selector},pod-template-hash=${hash}` : selector }))
    .items;
  const pod = pods.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!pod) throw new MlpError('smokeTest', `${deployment} has no ready pod to smoke-test in namespace ${namespace}.`);
  return { pod, revision };
}

/** One service's smoke requests against `pod` (a ready pod of its current revision, from readyPod). */
export function smokeTestPod(
  kube: KubeClient,
  namespace: string,
  pod: V1Pod,
  service: ServiceConfig,
  signal: AbortSignal,
): Promise<string[]> {
  return withPortForward(kube, namespace, pod.metadata!.name!, service.port, (baseUrl) => runSmokeTests(baseUrl, service.smoke, signal));
}

/** The test stage on the eks target: each service's ready pod of the current revision, through a port-forward. */
export async function smokeTestOnCluster(context: CommandContext): Promise<SmokeTestResult[]> {
  const project = await context.loadConfig();
  const { config } = project;
  const kube = await clusterForRun(context);
  const namespace = namespaceOf(config);
  const results: SmokeTestResult[] = [];
  for (const service of config.services) {
    const { pod, revision } = await readyPod(kube, namespace, service.name);
    try {
      const passed = await smokeTestPod(kube, namespace, pod, service, context.signal);
      for (const line of passed) context.output.info(`${service.name}: ${line} (pod ${pod.metadata!.name})`);
      results.push(...passed.map((line) => ({ service: service.name, line })));
    } catch (error) {
      if (config.deploy.rollback && releasedThisRun(context, deploymentKey(namespace, service.name), revision)) {
        const restored = await rollBackAndWait(
          kube,
          { namespace, name: service.name, timeoutSeconds: config.deploy.timeoutSeconds },
          context.signal,
          (restored) =>
            context.output.warn(
              `${service.name}: smoke test failed; rolling back to revision ${restored.revision} (ReplicaSet ${restored.replicaSet})`,
            ),
          (line) => context.output.info(line),
        );
        if (restored) recordRollback(context, service.name, `revision ${restored.revision}`);
      }
      throw error;
    }
  }
  return results;
}
