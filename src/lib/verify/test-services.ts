/** `mlp test`: the smoke requests of deployed services, on either target, without rolling anything back. */
import type { CommandContext } from '../context.js';
import type { ServiceConfig } from '../config/schema.js';
import type { KubeClient } from '../kube/client.js';
import { UsageError } from '../errors.js';
import { selectServices } from '../config/select-services.js';
import { serviceUrl } from '../deploy/local.js';
import { runSmokeTests } from './smoke-requests.js';
import { namespaceOf } from '../render/render-context.js';
import { clusterForRun } from '../per-run.js';

/** One smoke request that passed; on the cluster, the ready pod of the current revision it was sent to. */
export interface SmokeTestPassed {
  service: string;
  line: string;
  pod?: string;
}

export async function smokeTestServices(
  context: CommandContext,
  options: { service?: string | undefined; url?: string | undefined },
): Promise<SmokeTestPassed[]> {
  const project = await context.loadConfig();
  const { config } = project;
  const services = selectServices(config, options.service === undefined ? [] : [options.service]);
  if (options.url !== undefined && !/^https?:\/\/[^/]+/.test(options.url))
    throw new UsageError(`--url ${options.url}: give a base URL such as http://127.0.0.1:8080.`);
  if (options.url !== undefined && services.length > 1)
    throw new UsageError('--url tests one service: name it (mlp test <service> --url …).');
  const passed: SmokeTestPassed[] = [];
  // The cluster is reached once for all services (an EKS token means DescribeCluster and an STS signature).
  let cluster: Promise<ClusterTarget> | undefined;
  for (const service of services) {
    const run = (baseUrl: string) => runSmokeTests(baseUrl.replace(/\/+$/, ''), service.smoke, context.signal);
    if (options.url !== undefined || config.deploy.target === 'local') {
      const lines = await run(options.url ?? serviceUrl(service));
      passed.push(...lines.map((line) => ({ service: service.name, line })));
    } else {
      const { pod, lines } = await clusterSmoke(await (cluster ??= openCluster(context)), service, context.signal);
      passed.push(...lines.map((line) => ({ service: service.name, line, pod })));
    }
  }
  return passed;
}

interface ClusterTarget {
  kube: KubeClient;
  namespace: string;
}

async function openCluster(context: CommandContext): Promise<ClusterTarget> {
  const project = await context.loadConfig();
  return { kube: await clusterForRun(context), namespace: namespaceOf(project.config) };
}

async function clusterSmoke(
  { kube, namespace }: ClusterTarget,
  service: ServiceConfig,
  signal: AbortSignal,
): Promise<{ pod: string; lines: string[] }> {
  const { readyPod, smokeTestPod } = await import('./cluster.js');
  const { pod } = await readyPod(kube, namespace, service.name);
  return { pod: pod.metadata!.name!, lines: await smokeTestPod(kube, namespace, pod, service, signal) };
}
