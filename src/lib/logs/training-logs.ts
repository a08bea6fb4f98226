/**
 * `mlp logs --training`: the log of the project's newest training Job's pod (mlp train --remote, or mlp deploy's
 * train stage on the cluster), read to its end or followed until the pod's container ends.
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProjectConfig } from '../config/load.js';
import type { CommandContext } from '../context.js';
import { openKubeClient, type KubeClient } from '../kube/client.js';
import { streamPodLog } from '../kube/pod-log.js';
import { clusterForRun } from '../per-run.js';
import { namespaceOf, TRAINING_COMPONENT } from '../render/render-context.js';
import { loggedContainers, readPodLogs } from './cluster-logs.js';
import { LogPrinter } from './log-printer.js';
import type { LogsRequest } from './logs-request.js';
import { mergeByTime } from './merge-lines.js';

const POLL_MS = 2000;

const created = (object: V1Job | V1Pod): number => object.metadata?.creationTimestamp?.getTime() ?? 0;
const newest = <T extends V1Job | V1Pod>(objects: readonly T[]): T | undefined => [...objects].sort((a, b) => created(b) - created(a))[0];

export async function printTrainingLogs(context: CommandContext, project: ProjectConfig, request: LogsRequest): Promise<void> {
  const { config } = project;
  // Training runs on the cluster whatever deploy.target says (as in remote-trainer.ts): on the eks target that is
  // the run's cluster; otherwise the cluster mlp.yaml names, reached the EKS way.
  const kube =
    config.deploy.target === 'eks'
      ? await clusterForRun(context)
      : await openKubeClient({ ...config, deploy: { ...config.deploy, target: 'eks' } }, context.io.env, context.signal);
  const namespace = namespaceOf(config);
  const printer = new LogPrinter(context);

  let saidWaiting = false;
  for (;;) {
    const found = await trainingPod(kube, namespace, config.name);
    if (found.pod !== undefined) {
      const targets = loggedContainers(found.pod, {}).map((target) => ({ ...target, source: { ...target.source, job: found.job } }));
      if (targets.length > 0) {
        printer.expect(targets.map((target) => target.source));
        const initial = {
          tailLines: request.tail,
          ...(request.sinceSeconds === undefined ? {} : { sinceSeconds: request.sinceSeconds }),
        };
        if (!request.follow) {
          for (const { source, line } of mergeByTime(await readPodLogs(context, kube, targets, initial))) printer.print(source, line);
          return;
        }
        context.output.info(`Job ${found.job}: following pod ${found.pod.metadata!.name} until it ends (Ctrl-C to stop)`);
        const streams = await Promise.all(
          targets.map((target) =>
            streamPodLog(
              kube,
              { namespace, pod: target.source.pod, container: target.source.container },
              { ...initial, follow: true },
              (line) => printer.print(target.source, line),
            ),
          ),
        );
        const stop = (): void => void Promise.all(streams.map((stream) => stream.stop(0)));
        printer.stop.addEventListener('abort', stop, { once: true });
        await Promise.all(streams.map((stream) => stream.ended));
        printer.stop.removeEventListener('abort', stop);
        return;
      }
    }
    if (!request.follow) {
      context.output.info(
        found.job === undefined
          ? `No training Job of ${config.name} in namespace ${namespace} (mlp train --remote starts one).`
          : `Job ${found.job} has no pod with a log yet (mlp logs --training -f waits for it).`,
      );
      return;
    }
    if (!saidWaiting)
      context.output.info(`Waiting for a training Job of ${config.name} in namespace ${namespace} to run (Ctrl-C to stop).`);
    saidWaiting = true;
    await sleep(POLL_MS, undefined, { signal: context.signal }).catch(() => undefined);
    if (context.signal.aborted) return;
  }
}

/** The newest training Job of the project and its newest pod. */
async function trainingPod(kube: KubeClient, namespace: string, project: string): Promise<{ job?: string; pod?: V1Pod }> {
  const jobs = await kube.batch.listNamespacedJob({
    namespace,
    labelSelector: `mlp.dev/project=${project},app.kubernetes.io/component=${TRAINING_COMPONENT}`,
  });
  const job = newest(jobs.items)?.metadata?.name;
  if (job === undefined) return {};
  const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` });
  const pod = newest(pods.items);
  return pod === undefined ? { job } : { job, pod };
}
