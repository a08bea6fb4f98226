/**
 * `mlp logs` on the local target: each service runs as one container, mlp-<project>-<service> (deploy/local.ts),
 * read with `docker container logs`. A redeploy replaces the container under the same name: a follow notices the
 * new container id and follows it, while the replaced one's stream ends when it stops.
 */
import type { ProjectConfig } from '../config/load.js';
import type { CommandContext } from '../context.js';
import { containerName } from '../deploy/local.js';
import { containerState, dockerCliFor, engineInfo, streamContainerLogs, type ContainerLogOptions, type DockerCli } from '../docker.js';
import { followSources, type FollowTarget } from './follow-loop.js';
import type { LogSource } from './format-line.js';
import { LogPrinter } from './log-printer.js';
import type { LogsRequest } from './logs-request.js';
import { mergeByTime } from './merge-lines.js';

interface LocalContainer extends FollowTarget {
  id: string;
}

/** The services' current containers (not the stopped `…-previous` ones a deploy keeps to roll back to). */
async function serviceContainers(cli: DockerCli, project: string, services: readonly string[]): Promise<LocalContainer[]> {
  const found = await Promise.all(
    services.map(async (service) => {
      const name = containerName(project, service);
      const state = await containerState(cli, name);
      if (state === undefined) return [];
      const source: LogSource = { service, pod: name, container: state.id.slice(0, 12) };
      return [{ key: state.id, id: state.id, source }];
    }),
  );
  return found.flat();
}

export async function printLocalLogs(
  context: CommandContext,
  project: ProjectConfig,
  services: readonly string[],
  request: LogsRequest,
): Promise<void> {
  const cli = dockerCliFor(context, project.dir);
  await engineInfo(cli); // no engine is a prerequisite error, not "no containers"
  const printer = new LogPrinter(context);
  const what = services.length === 1 ? services[0] : services.join(', ');
  const initial: ContainerLogOptions = {
    tail: request.tail,
    ...(request.sinceSeconds === undefined ? {} : { sinceSeconds: request.sinceSeconds }),
  };

  if (!request.follow) {
    const containers = await serviceContainers(cli, project.config.name, services);
    if (containers.length === 0) {
      context.output.info(`No containers of ${what} on this machine (mlp deploy starts them).`);
      return;
    }
    const logs = await Promise.all(
      containers.map(async (container) => {
        const lines: string[] = [];
        const run = await streamContainerLogs(cli, container.id, { ...initial, timestamps: true }, (line) => lines.push(line));
        if (run.exitCode !== 0) context.output.warn(`${container.source.pod}: docker logs exited ${run.exitCode ?? 'on a signal'}`);
        return { source: container.source, lines };
      }),
    );
    printer.expect(containers.map((container) => container.source));
    for (const { source, line } of mergeByTime(logs)) printer.print(source, line);
    return;
  }

  await followSources<LocalContainer>({
    signal: printer.stop,
    list: () => serviceContainers(cli, project.config.name, services),
    open: async (container, isInitial, onLine) => {
      printer.expect([container.source]);
      const abort = new AbortController();
      const ended = streamContainerLogs(cli, container.id, { ...(isInitial ? initial : {}), follow: true, signal: abort.signal }, onLine);
      return {
        ended: ended.then((run) => (run.exitCode === 0 || abort.signal.aborted ? undefined : run.tail.slice(-1)[0])),
        stop: async (drainMs) => {
          if (drainMs > 0) await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, drainMs))]);
          abort.abort();
          await ended;
        },
      };
    },
    print: (source, line) => printer.print(source, line),
    info: (message) => context.output.info(message),
    waiting: `No containers of ${what} on this machine yet; waiting for them (Ctrl-C to stop).`,
  });
}
