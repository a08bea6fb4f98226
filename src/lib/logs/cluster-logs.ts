/** `mlp logs` on the eks target: the pods of the services, found by their labels, read through the API server. */
import type { V1Pod } from '@kubernetes/client-node';
import type { ProjectConfig } from '../config/load.js';
import type { CommandContext } from '../context.js';
import type { KubeClient } from '../kube/client.js';
import { streamPodLog, type PodLogStreamOptions } from '../kube/pod-log.js';
import { clusterForRun } from '../per-run.js';
import { namespaceOf } from '../render/render-context.js';
import { followSources, type FollowTarget } from './follow-loop.js';
import type { LogSource } from './format-line.js';
import { LogPrinter } from './log-printer.js';
import type { LogsRequest } from './logs-request.js';
import { mergeByTime } from './merge-lines.js';

export interface PodContainer extends FollowTarget {
  namespace: string;
}

/** The containers of `pod` that have a log to read: created, running or ended (not still waiting to start). */
export function loggedContainers(pod: V1Pod, source: Omit<LogSource, 'pod' | 'container' | 'showContainer'>): PodContainer[] {
  const name = pod.metadata?.name ?? '';
  const statuses = pod.status?.containerStatuses ?? [];
  const several = (pod.spec?.containers.length ?? 0) > 1;
  return statuses.flatMap((status) => {
    const started = status.state?.running !== undefined || status.state?.terminated !== undefined;
    if (!started || !status.containerID) return [];
    return [
      {
        key: `${name}/${status.name}/${status.containerID}`,
        namespace: pod.metadata?.namespace ?? '',
        source: { ...source, pod: name, container: status.name, showContainer: several },
      },
    ];
  });
}

/** Reads each target's log to its end (with timestamps, to merge them); a refusal is a warning, not a failure. */
export async function readPodLogs(
  context: CommandContext,
  kube: KubeClient,
  targets: readonly PodContainer[],
  options: PodLogStreamOptions,
): Promise<Array<{ source: LogSource; lines: string[] }>> {
  return Promise.all(
    targets.map(async (target) => {
      const lines: string[] = [];
      const stream = await streamPodLog(
        kube,
        { namespace: target.namespace, pod: target.source.pod, container: target.source.container },
        { ...options, timestamps: true },
        (line) => lines.push(line),
      );
      const { error } = await stream.ended;
      if (error !== undefined) context.output.warn(`${target.source.pod}: no log: ${error}`);
      return { source: target.source, lines };
    }),
  );
}

/** Prints the merged logs of the services' pods, or follows them (pods that appear join, gone ones end) until Ctrl-C. */
export async function printClusterLogs(
  context: CommandContext,
  project: ProjectConfig,
  services: readonly string[],
  request: LogsRequest,
): Promise<void> {
  const { config } = project;
  const kube = await clusterForRun(context);
  const namespace = namespaceOf(config);
  const printer = new LogPrinter(context);
  const selector = `mlp.dev/project=${config.name},mlp.dev/service in (${services.join(',')})`;
  const list = async (): Promise<PodContainer[]> => {
    const { items } = await kube.core.listNamespacedPod({ namespace, labelSelector: selector });
    return items
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
      .flatMap((pod) => loggedContainers(pod, { service: pod.metadata?.labels?.['mlp.dev/service'] ?? '' }));
  };
  const what = `${services.length === 1 ? services[0] : services.join(', ')} in namespace ${namespace}`;
  const initial: PodLogStreamOptions = {
    ...(request.sinceSeconds === undefined ? {} : { sinceSeconds: request.sinceSeconds }),
    tailLines: request.tail,
  };

  if (!request.follow) {
    const targets = await list();
    if (targets.length === 0) {
      context.output.info(`No pods of ${what} have a log (mlp deploy starts them; mlp status shows what runs).`);
      return;
    }
    const logs = await readPodLogs(context, kube, targets, initial);
    printer.expect(targets.map((target) => target.source));
    for (const { source, line } of mergeByTime(logs)) printer.print(source, line);
    return;
  }

  let listFailed = false;
  await followSources<PodContainer>({
    signal: printer.stop,
    list: () =>
      list().then(
        (targets) => {
          listFailed = false;
          return targets;
        },
        (error: unknown) => {
          // The API server may blip during a follow that lasts hours: say so once, keep trying.
          if (!listFailed && !context.signal.aborted)
            context.output.warn(`could not list the pods of ${what}: ${(error as Error).message}`);
          listFailed = true;
          return undefined;
        },
      ),
    open: async (target, isInitial, onLine) => {
      printer.expect([target.source]);
      const stream = await streamPodLog(
        kube,
        { namespace: target.namespace, pod: target.source.pod, container: target.source.container },
        // A pod that appears later is new: all of its log is news.
        { ...(isInitial ? initial : {}), follow: true },
        onLine,
      );
      return { ended: stream.ended.then(({ error }) => error), stop: (drainMs) => stream.stop(drainMs) };
    },
    print: (source, line) => printer.print(source, line),
    info: (message) => context.output.info(message),
    waiting: `No pods of ${what} yet; waiting for them (Ctrl-C to stop).`,
  });
}
