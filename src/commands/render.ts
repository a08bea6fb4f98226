import { defineCommand, option } from '../lib/command.js';

export default defineCommand({
  usage: 'render',
  summary: 'Render the Kubernetes manifests from templates/k8s to stdout (or --out DIR)',
  description:
    "Fills mlp's templates (templates/k8s) from mlp.yaml and the images mlp build and mlp push recorded: the namespace with its ResourceQuota and LimitRange, then per service a ServiceAccount, ConfigMap, Service, Deployment, HPA, PodDisruptionBudget, NetworkPolicy and, with expose, an Ingress or NLB Service; the training Job when training.remote.enabled. Only manifests go to stdout, so the output pipes into kubectl.",
  examples: ['mlp render | kubectl apply -f -', 'mlp render --out manifests/', 'mlp render --service fraud --json'],
  options: {
    out: option('--out <dir>', 'write one file per object into <dir> instead of stdout'),
    service: option('--service <name...>', "render only these services' objects (and the project's)"),
    serviceMonitor: option(
      '--service-monitor',
      'also render a ServiceMonitor per service (the cluster needs the Prometheus Operator CRDs)',
    ),
  },
  handler: () => import('./handlers/render.js'),
});
