/**
 * The test stage on the eks target: each service's smoke requests, sent to one of its ready pods of the current
 * revision through a port-forward. A failure after this run rolled out a new revision rolls it back
 * (deploy.rollback), as a failed rollout does.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { CommandContext } from '../context.js';
import type { ServiceConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import { clusterAccess } from '../kube/cluster-access.js';
import { withPortForward } from '../kube/port-forward.js';
import { REVISION_ANNOTATION, rollBackAndWait } from '../kube/rollout.js';
import { runSmokeTests } from './smoke-requests.js';
import { namespaceOf } from '../render/render-context.js';
import { releasedThisRun } from '../pipeline/run-releases.js';

/** A ready pod of the Deployment's current revision, and that revision. */
export async function readyPod(kubeConfig: KubeConfig, namespace: string, deployment: string): Promise<{ pod: V1Pod; revision: string | undefined }> {
  const { AppsV1Api, CoreV1Api } = await import('@kubernetes/client-node');
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const found = await apps.readNamespacedDeployment({ name: deployment, namespace }).catch((error: unknown) => {
    if ((error as { code?: number }).code === 404) throw new MlpError('smokeTest', `${deployment} is not deployed in namespace ${namespace}.`, { hint: 'run mlp deploy first' });
    throw error;
  });
  const selector = Object.entries(found.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const revision = found.metadata?.annotations?.[REVISION_ANNOTATION];
  const sets = (await apps.listNamespacedReplicaSet({ namespace, labelSelector: selector })).items;
  const current = sets.find((rs) => rs.metadata?.annotations?.[REVISION_ANNOTATION] === revision);
  const hash = current?.metadata?.labels?.['pod-template-hash'];
  const pods = (await kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: hash ? `${selector},pod-template-hash=${hash}` : selector })).items;
  const pod = pods.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!pod) throw new MlpError('smokeTest', `${deployment} has no ready pod to smoke-test in namespace ${namespace}.`);
  return { pod, revision };
}

/** One service's smoke requests against `pod` (a ready pod of its current revision, from readyPod). */
export function smokeTestPod(kubeConfig: KubeConfig, namespace: string, pod: V1Pod, service: ServiceConfig, signal: AbortSignal): Promise<string[]> {
  return withPortForward(kubeConfig, namespace, pod.metadata!.name!, service.port, (baseUrl) => runSmokeTests(baseUrl, service.smoke, signal));
}

export async function smokeTestClusterStage(context: CommandContext): Promise<void> {
  const project = await context.loadConfig();
  const { config } = project;
  const { kubeConfig } = await clusterAccess(config, context.io.env, context.signal);
  const namespace = namespaceOf(config);
  for (const service of config.services) {
    const { pod, revision } = await readyPod(kubeConfig, namespace, service.name);
    try {
      const passed = await smokeTestPod(kubeConfig, namespace, pod, service, context.signal);
      for (const line of passed) context.output.info(`${service.name}: ${line} (pod ${pod.metadata!.name})`);
    } catch (error) {
      if (config.deploy.rollback && releasedThisRun(context, deploymentKey(namespace, service.name), revision)) {
        await rollBackAndWait(
          kubeConfig,
          { namespace, name: service.name, timeoutSeconds: config.deploy.timeoutSeconds },
          context.signal,
          (restored) => context.output.warn(`${service.name}: smoke test failed; rolling back to revision ${restored.revision} (ReplicaSet ${restored.replicaSet})`),
          (line) => context.output.info(line),
        );
      }
      throw error;
    }
  }
}

/** How the deploy stage records a Deployment revision it rolled out (run-releases.ts). */
export function deploymentKey(namespace: string, name: string): string {
  return `deployment/${namespace}/${name}`;
}
