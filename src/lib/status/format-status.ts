/** The human table of `mlp status`: one block of aligned fields per service, then the nodegroup line. */
import type { AutoscalerStatus, EndpointStatus, NodegroupStatus, ServiceStatus, StatusReport } from './service-status.js';

export interface FormatOptions {
  /** Colours for the verdicts (chalk's, or identity functions). */
  green: (text: string) => string;
  red: (text: string) => string;
  yellow: (text: string) => string;
  now?: number;
}

const plain = (text: string): string => text;
/** The longest field name (autoscaler, container): the same column whatever a service has, so --watch does not jump. */
const KEY_WIDTH = 10;
export const NO_COLOR: FormatOptions = { green: plain, red: plain, yellow: plain };

export function formatStatus(report: StatusReport, options: FormatOptions = NO_COLOR): string {
  const now = options.now ?? Date.now();
  const heading =
    report.target === 'local'
      ? 'Target local (this machine’s Docker engine)'
      : `Namespace ${report.namespace ?? '?'} on ${report.cluster ?? 'the cluster'}`;
  const blocks = report.services.map((service) => formatService(service, options, now));
  const nodegroup = report.nodegroup ? [formatNodegroup(report.nodegroup, options)] : [];
  return [heading, '', blocks.join('\n\n'), ...(nodegroup.length > 0 ? ['', ...nodegroup] : [])].join('\n');
}

function formatService(service: ServiceStatus, options: FormatOptions, now: number): string {
  const verdict = service.healthy ? options.green('healthy') : options.red('degraded');
  const rows: Array<[string, string]> = [];
  if (service.image) rows.push(['image', imageText(service.image)]);
  if (service.version) rows.push(['version', service.version]);
  if (service.replicas) {
    const r = service.replicas;
    rows.push(['replicas', `${r.available}/${r.desired} available · ${r.ready} ready · ${r.updated} updated · ${r.desired} desired`]);
  }
  if (service.rollout) rows.push(['rollout', rolloutText(service, options)]);
  if (service.autoscaler) rows.push(['autoscaler', autoscalerText(service.autoscaler)]);
  if (service.container) {
    const c = service.container;
    const state = [c.state, ...(c.health ? [c.health] : []), ...(c.state === 'running' ? [c.ready ? 'ready' : 'not ready'] : [])].join(
      ', ',
    );
    rows.push(['container', `${c.name}: ${state}${c.ports.length > 0 ? ` · ${c.ports.join(', ')}` : ''}`]);
  }
  if (service.lastDeploy) rows.push(['deployed', deployedText(service.lastDeploy, now)]);
  if (service.endpoint) rows.push(['endpoint', endpointText(service.endpoint)]);
  for (const problem of service.problems) rows.push(['problem', options.red(problem)]);
  return [`${service.service}  ${verdict}`, ...rows.map(([key, value]) => `  ${key.padEnd(KEY_WIDTH)}  ${value}`)].join('\n');
}

function imageText(image: NonNullable<ServiceStatus['image']>): string {
  const extras = [
    ...(image.tag && !image.reference.endsWith(`:${image.tag}`) ? [`tag ${image.tag}`] : []),
    ...(image.digest && !image.reference.includes(image.digest) ? [`digest ${image.digest}`] : []),
    ...(image.id ? [`id ${image.id.replace(/^sha256:/, '').slice(0, 12)}`] : []),
  ];
  return `${image.reference}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`;
}

function rolloutText(service: ServiceStatus, options: FormatOptions): string {
  const rollout = service.rollout!;
  const colour = rollout.state === 'complete' ? options.green : rollout.state === 'progressing' ? options.yellow : options.red;
  return colour(rollout.reason ? `${rollout.state} (${rollout.reason})` : rollout.state);
}

function autoscalerText(hpa: AutoscalerStatus): string {
  const metrics = hpa.metrics.map(
    (metric) => `${metric.resource} ${metric.current === null ? '?' : `${metric.current}%`}/${metric.target}%`,
  );
  const replicas = hpa.current === null || hpa.desired === null ? 'no status yet' : `${hpa.current} current, ${hpa.desired} desired`;
  return [`${replicas} (min ${hpa.min}, max ${hpa.max})`, ...metrics].join(' · ');
}

function deployedText(lastDeploy: NonNullable<ServiceStatus['lastDeploy']>, now: number): string {
  const parts = [
    ...(lastDeploy.revision === null ? [] : [`revision ${lastDeploy.revision}`]),
    ...(lastDeploy.at === null ? [] : [`${lastDeploy.at.replace(/\.\d+Z$/, 'Z')} (${ago(now - new Date(lastDeploy.at).getTime())})`]),
  ];
  return parts.join(' · ') || 'unknown';
}

/** 42 s ago, 5 min ago, 3 h ago, 2 d ago. */
export function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

function endpointText(endpoint: EndpointStatus): string {
  switch (endpoint.kind) {
    case 'ingress':
      return `${endpoint.url ?? 'no host yet'} (Ingress${endpoint.address ? `, load balancer ${endpoint.address}` : ', no load balancer address yet'})`;
    case 'nlb':
      return endpoint.url ? `${endpoint.url} (NLB)` : 'NLB address pending';
    case 'cluster-ip':
      return `${endpoint.url ?? ''} (ClusterIP${endpoint.address ? ` ${endpoint.address}` : ''}; inside the cluster only)`;
    case 'local':
      return endpoint.url ?? '';
  }
}

function formatNodegroup(nodegroup: NodegroupStatus, options: FormatOptions): string {
  const scaling = nodegroup.scaling;
  const verdict =
    scaling?.desired === 0
      ? options.yellow('scaled to zero')
      : nodegroup.healthy
        ? options.green(nodegroup.status)
        : options.red(nodegroup.status);
  const parts = [
    `nodegroup ${nodegroup.name} (EKS cluster ${nodegroup.cluster}): ${verdict}`,
    ...(scaling ? [`min ${scaling.min} / desired ${scaling.desired} / max ${scaling.max}`] : []),
    `${nodegroup.nodes.ready}/${nodegroup.nodes.total} nodes Ready`,
  ];
  return [parts.join(' · '), ...nodegroup.problems.map((problem) => `  problem  ${options.red(problem)}`)].join('\n');
}
