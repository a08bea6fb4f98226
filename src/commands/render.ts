import { defineCommand } from '../lib/command.js';

export default defineCommand({
  usage: 'render',
  summary: 'Render the Kubernetes manifests from templates/k8s to stdout (or --out DIR)',
  description:
    "Fills mlp's templates (templates/k8s) from mlp.yaml and the images mlp build and mlp push recorded: the namespace with its ResourceQuota and LimitRange, then per service a ServiceAccount, ConfigMap, Service, Deployment, HPA, PodDisruptionBudget, NetworkPolicy and, with expose, an Ingress or NLB Service; the training Job when training.remote.enabled. Only manifests go to stdout, so the output pipes into kubectl.",
  examples: ['mlp render | kubectl apply -f -', 'mlp render --out manifests/', 'mlp render --service fraud --json'],
  configure(command) {
    command
      .option('--out <dir>', 'write one file per object into <dir> instead of stdout')
      .option('--service <name...>', "render only these services' objects (and the project's)")
      .option('--service-monitor', 'also render a ServiceMonitor per service (the cluster needs the Prometheus Operator CRDs)');
  },
  async run(context, options) {
    const path = await import('node:path');
    const [{ renderManifests }, { toYaml }, { writeManifests }] = await Promise.all([
      import('../lib/render/renderer.js'),
      import('../lib/render/serialize.js'),
      import('../lib/render/write-manifests.js'),
    ]);
    const project = await context.loadConfig();
    const manifests = await renderManifests(project, {
      services: options.service as string[] | undefined,
      serviceMonitor: options.serviceMonitor === true,
      warn: (line) => context.output.warn(line),
    });
    if (typeof options.out === 'string') {
      const dir = path.resolve(context.io.cwd, options.out);
      const files = await writeManifests(dir, manifests);
      context.output.info(`wrote ${files.length} manifests to ${dir}`);
      context.output.result({ manifests, files }, '');
      return;
    }
    context.output.result({ manifests }, () => toYaml(manifests));
  },
});
