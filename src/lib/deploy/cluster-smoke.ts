/**
 * The test stage on the eks target: each service's smoke requests, sent to one of its ready pods of the current
 * revision through a port-forward. A failure after this run rolled out a new revision rolls it back
 * (deploy.rollback), as a failed rollout does.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { CommandContext } from '../context.js';
import { MlpError } from '../errors.js';
import { clusterAccess } from '../kube/cluster-access.js';
import { withPortForward } from '../kube/port-forward.js';
import { rollBack, watchRollout } from '../kube/rollout.js';
import { runSmokeTests } from '../local/smoke.js';

/** When this mlp process started: a ReplicaSet created since is this run's release. */
const RUN_STARTED_AT = performance.timeOrigin;

export async function readyPod(kubeConfig: KubeConfig, namespace: string, deployment: string): Promise<{ pod: V1Pod; releasedNow: boolean }> {
  const { AppsV1Api, CoreV1Api } = await import('@kubernetes/client-node');
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const found = await apps.readNamespacedDeployment({ name: deployment, namespace });
  const selector = Object.entries(found.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const revision = found.metadata?.annotations?.['deployment.kubernetes.io/revision'];
  const sets = (await apps.listNamespacedReplicaSet({ namespace, labelSelector: selector })).items;
  const current = sets.find((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision);
  const hash = current?.metadata?.labels?.['pod-template-hash'];
  const pods = (await kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: hash ? `${selector},pod-template-hash=${hash}` : selector })).items;
  const pod = pods.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!pod) throw new MlpError('smokeTest', `${deployment} has no ready pod to smoke-test in namespace ${namespace}.`);
  const created = current?.metadata?.creationTimestamp ? new Date(current.metadata.creationTimestamp).getTime() : 0;
  return { pod, releasedNow: created >= RUN_STARTED_AT - 1000 };
}

export async function smokeTestClusterStage(context: CommandContext): Promise<void> {
  const project = await context.loadConfig();
  const { config } = project;
  const { kubeConfig } = await clusterAccess(config, context.io.env, context.signal);
  const namespace = config.cluster?.namespace ?? 'ml-platform';
  for (const service of config.services) {
    const { pod, releasedNow } = await readyPod(kubeConfig, namespace, service.name);
    try {
      const passed = await withPortForward(kubeConfig, namespace, pod.metadata!.name!, service.port, (baseUrl) => runSmokeTests(baseUrl, service.smoke, context.signal));
      for (const line of passed) context.output.info(`${service.name}: ${line} (pod ${pod.metadata!.name})`);
    } catch (error) {
      if (config.deploy.rollback && releasedNow) {
        const restored = await rollBack(kubeConfig, namespace, service.name);
        if (restored) {
          context.output.warn(`${service.name}: smoke test failed; rolling back to revision ${restored.revision} (ReplicaSet ${restored.replicaSet})`);
          await watchRollout(kubeConfig, { namespace, name: service.name, deadline: Date.now() + config.deploy.timeoutSeconds * 1000 }, context.signal, (line) => context.output.info(line));
        }
      }
      throw error;
    }
  }
}
