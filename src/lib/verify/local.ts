/**
 * The test stage on the local target: every service's smoke requests against its container on 127.0.0.1. A failure
 * of a container this run started rolls it back to the one it replaced (deploy.rollback); a failing smoke test of
 * an unchanged container is not this run's bad release and is left alone.
 */
import type { CommandContext } from '../context.js';
import { dockerCliFor, containerState } from '../docker.js';
import { containerName, localServices, restorePrevious, serviceUrl } from '../deploy/local.js';
import { containerKey, releasedThisRun } from '../pipeline/run-releases.js';
import type { SmokeTestResult } from './smoke-requests.js';
import { runSmokeTests } from './smoke-requests.js';

export async function smokeTestLocally(context: CommandContext): Promise<SmokeTestResult[]> {
  const project = await context.loadConfig();
  const cli = dockerCliFor(context, project.dir);
  const results: SmokeTestResult[] = [];
  for (const service of localServices(project)) {
    try {
      const passed = await runSmokeTests(serviceUrl(service), service.smoke, context.signal);
      for (const line of passed) context.output.info(`${service.name}: ${line}`);
      results.push(...passed.map((line) => ({ service: service.name, line })));
    } catch (error) {
      const name = containerName(project.config.name, service.name);
      const current = await containerState(cli, name);
      if (project.config.deploy.rollback && current && releasedThisRun(context, containerKey(name), current.id))
        await restorePrevious(context, project, cli, service);
      throw error;
    }
  }
  return results;
}
