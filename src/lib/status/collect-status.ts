/** `mlp status`: every (or the named) service's state on its target, and the nodegroup's, as one report. */
import { selectServices } from '../config/select-services.js';
import type { CommandContext } from '../context.js';
import { dockerCliFor, engineInfo } from '../docker.js';
import { readBuildRecord } from '../image/build-record.js';
import { clusterForRun } from '../per-run.js';
import { namespaceOf } from '../render/render-context.js';
import { clusterServiceStatus, unreachable } from './cluster-status.js';
import { localServiceStatus } from './local-status.js';
import { nodegroupStatus } from './nodegroup-status.js';
import { withVerdict, type StatusReport } from './service-status.js';

/**
 * The report for `names` (every service when empty). A name mlp.yaml does not have is a usage error; a cluster
 * (or Docker engine) that does not answer is a prerequisite error. A degraded service is part of the report, not an
 * error: statusFailure (service-status.ts) turns the report into the exit code.
 */
export async function collectStatus(context: CommandContext, names: readonly string[]): Promise<StatusReport> {
  const project = await context.loadConfig();
  const { config } = project;
  const services = selectServices(config, names);

  if (config.deploy.target === 'local') {
    const cli = dockerCliFor(context, project.dir);
    await engineInfo(cli);
    const statuses = await Promise.all(services.map((service) => localServiceStatus(cli, config.name, service, context.signal)));
    return withVerdict({ target: 'local', namespace: null, cluster: null, services: statuses, nodegroup: null });
  }

  const namespace = namespaceOf(config);
  const kube = await clusterForRun(context);
  // Images are deployed by digest; the tag is the one mlp pushed under it, when this checkout pushed it.
  const pushed = new Map<string, string>();
  for (const service of services) {
    const record = await readBuildRecord(project.dir, service.name).catch(() => undefined);
    const tag = record?.pushed?.tags[0] ?? record?.tags[0];
    if (record?.pushed && tag) pushed.set(record.pushed.digest, tag);
  }
  const cluster = config.cluster;
  try {
    const [statuses, nodegroup] = await Promise.all([
      Promise.all(services.map((service) => clusterServiceStatus(kube, namespace, service, (digest) => pushed.get(digest)))),
      cluster?.nodegroup
        ? nodegroupStatus({ aws: config.aws, cluster: { ...cluster, nodegroup: cluster.nodegroup } }, kube, context.io.env, context.signal)
        : null,
    ]);
    return withVerdict({ target: 'eks', namespace, cluster: kube.source, services: statuses, nodegroup });
  } catch (error) {
    throw unreachable(error, kube.source);
  }
}
