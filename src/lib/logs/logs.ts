/**
 * `mlp logs`: the logs of a project's services (every pod of each, merged), or of its last training Job, on the
 * target mlp.yaml deploys to: pods through the API server on a cluster, containers through the Docker CLI locally.
 */
import { selectServices } from '../config/select-services.js';
import type { CommandContext } from '../context.js';
import type { LogsRequest } from './logs-request.js';

export type { LogsRequest };

/** Prints the logs `request` asks for on stdout; messages about what there is (or is not) go to stderr. */
export async function printLogs(context: CommandContext, request: LogsRequest): Promise<void> {
  const project = await context.loadConfig();
  if (request.training) {
    const { printTrainingLogs } = await import('./training-logs.js');
    return printTrainingLogs(context, project, request);
  }
  const services = selectServices(project.config, request.services).map((service) => service.name);
  if (project.config.deploy.target === 'local') {
    const { printLocalLogs } = await import('./local-logs.js');
    return printLocalLogs(context, project, services, request);
  }
  const { printClusterLogs } = await import('./cluster-logs.js');
  return printClusterLogs(context, project, services, request);
}
