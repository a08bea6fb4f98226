/** `mlp test`: the smoke requests of deployed services, on either target, without rolling anything back. */
import type { CommandContext } from '../context.js';
import { MlpError, UsageError } from '../errors.js';
import { serviceUrl } from '../local/local-deployer.js';
import { runSmokeTests } from '../local/smoke.js';

export async function smokeTestServices(context: CommandContext, options: { service?: string | undefined; url?: string | undefined }): Promise<Array<{ service: string; line: string }>> {
  const project = await context.loadConfig();
  const { config } = project;
  const services = options.service ? config.services.filter((service) => service.name === options.service) : [...config.services];
  if (services.length === 0) throw new UsageError(`mlp.yaml has no service ${options.service}.`, { hint: `services: ${config.services.map((s) => s.name).join(', ')}` });
  if (options.url !== undefined && !/^https?:\/\/[^/]+/.test(options.url)) throw new UsageError(`--url ${options.url}: give a base URL such as http://127.0.0.1:8080.`);
  if (options.url !== undefined && services.length > 1) throw new UsageError('--url tests one service: name it (mlp test <service> --url …).');
  const passed: Array<{ service: string; line: string }> = [];
  for (const service of services) {
    const run = (baseUrl: string) => runSmokeTests(baseUrl.replace(/\/+$/, ''), service.smoke, context.signal);
    let lines: string[];
    if (options.url !== undefined) lines = await run(options.url);
    else if (config.deploy.target === 'local') lines = await run(serviceUrl(service));
    else lines = await clusterSmoke(context, service.name, service.port, run);
    passed.push(...lines.map((line) => ({ service: service.name, line })));
  }
  return passed;
}

async function clusterSmoke(context: CommandContext, name: string, port: number, run: (baseUrl: string) => Promise<string[]>): Promise<string[]> {
  const project = await context.loadConfig();
  const [{ clusterAccess }, { withPortForward }, { readyPod }] = await Promise.all([import('../kube/cluster-access.js'), import('../kube/port-forward.js'), import('./cluster-smoke.js')]);
  const { kubeConfig } = await clusterAccess(project.config, context.io.env, context.signal);
  const namespace = project.config.cluster?.namespace ?? 'ml-platform';
  const { pod } = await readyPod(kubeConfig, namespace, name).catch((error: unknown) => {
    if ((error as { code?: number }).code === 404) throw new MlpError('smokeTest', `${name} is not deployed in namespace ${namespace}.`, { hint: 'run mlp deploy first' });
    throw error;
  });
  return withPortForward(kubeConfig, namespace, pod.metadata!.name!, port, run);
}
