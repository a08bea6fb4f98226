/**
 * What `mlp status` reports, as plain data: the same object is printed as the table, printed with --json, and
 * decides the exit code (statusFailure). The collectors (cluster-status.ts, local-status.ts, nodegroup-status.ts)
 * fill it in; nothing here talks to a cluster or an engine.
 */
import { MlpError } from '../errors.js';

/**
 * complete: every replica runs the current revision. progressing: a rollout is under way. stalled: the Deployment
 * controller gave up on it (ProgressDeadlineExceeded). failed: its pods cannot come up (ImagePullBackOff,
 * CrashLoopBackOff, FailedScheduling, …) or the controller cannot create them (ReplicaFailure). missing: there is
 * no Deployment.
 */
export type RolloutPhase = 'complete' | 'progressing' | 'stalled' | 'failed' | 'missing';

export interface RolloutStatus {
  state: RolloutPhase;
  /** The controller's or the pod's reason: ProgressDeadlineExceeded, FailedCreate, ImagePullBackOff, … */
  reason: string | null;
  message: string | null;
  /** With the controller's verdict: why the current revision's pods do not come up (the failing pod's cause). */
  cause: string | null;
}

export interface ImageStatus {
  /** What the workload runs: repository@sha256:… on a cluster, repository:tag locally. */
  reference: string;
  tag: string | null;
  /** The registry digest the pods run (eks). */
  digest: string | null;
  /** The local engine's image id (local). */
  id: string | null;
}

export interface ReplicaCounts {
  desired: number;
  updated: number;
  ready: number;
  available: number;
}

export interface AutoscalerStatus {
  /** The replicas the HPA saw and wants; null until its controller has reported (a status without them). */
  current: number | null;
  desired: number | null;
  min: number;
  max: number;
  /** Utilisation of the pods' requests, in percent: null while the metrics server has not reported yet. */
  metrics: Array<{ resource: string; current: number | null; target: number }>;
}

export interface EndpointStatus {
  kind: 'ingress' | 'nlb' | 'cluster-ip' | 'local';
  /** How to reach it; null while a load balancer has no address yet. */
  url: string | null;
  /** The load balancer's host name or the ClusterIP, for reference. */
  address: string | null;
}

export interface ContainerStatus {
  name: string;
  /** The engine's state: running, exited, created, … or missing. */
  state: string;
  /** The image's HEALTHCHECK verdict (starting, healthy, unhealthy); null without one. */
  health: string | null;
  /** GET /ready answered 200. */
  ready: boolean;
  exitCode: number | null;
  /** Published ports: 8080/tcp → 127.0.0.1:23456. */
  ports: string[];
}

export interface ServiceStatus {
  service: string;
  target: 'eks' | 'local';
  healthy: boolean;
  /** Why it is not healthy, one line per cause. */
  problems: string[];
  image: ImageStatus | null;
  /** The model version (the Deployment's app.kubernetes.io/version label, the image's version label locally). */
  version: string | null;
  replicas: ReplicaCounts | null;
  rollout: RolloutStatus | null;
  autoscaler: AutoscalerStatus | null;
  /** The Deployment's revision and when its newest ReplicaSet was made (locally: when the container was). */
  lastDeploy: { revision: number | null; at: string | null } | null;
  endpoint: EndpointStatus | null;
  container: ContainerStatus | null;
}

export interface NodegroupStatus {
  name: string;
  cluster: string;
  /** EKS's status (ACTIVE, UPDATING, DEGRADED, …), or NOT_FOUND. */
  status: string;
  scaling: { min: number; desired: number; max: number } | null;
  /** Nodes labelled eks.amazonaws.com/nodegroup=<name>, and how many of them are Ready. */
  nodes: { ready: number; total: number };
  healthy: boolean;
  problems: string[];
}

export interface StatusReport {
  target: 'eks' | 'local';
  /** The namespace (eks) or null (local). */
  namespace: string | null;
  /** How the cluster was reached, for the table's heading (eks). */
  cluster: string | null;
  services: ServiceStatus[];
  nodegroup: NodegroupStatus | null;
  healthy: boolean;
}

/** EKS nodegroup states in which it cannot be trusted to run the services. */
const UNHEALTHY_NODEGROUP = new Set(['DEGRADED', 'CREATE_FAILED', 'DELETE_FAILED', 'DELETING', 'NOT_FOUND']);

export function nodegroupHealthProblems(status: string): string[] {
  return UNHEALTHY_NODEGROUP.has(status) ? [`the nodegroup is ${status}`] : [];
}

export function isScaledToZero(nodegroup: NodegroupStatus | null): boolean {
  return nodegroup?.scaling?.desired === 0;
}

/** The report's verdict, with `healthy` set from its parts. */
export function withVerdict(report: Omit<StatusReport, 'healthy'>): StatusReport {
  const healthy =
    report.services.every((service) => service.healthy) && (report.nodegroup?.healthy ?? true) && !isScaledToZero(report.nodegroup);
  return { ...report, healthy };
}

/**
 * Why `mlp status` exits non-zero, or undefined when all is healthy: scaledToZero when the nodegroup is at zero
 * nodes (nothing can run, so that is the cause to name), degraded when a service or the nodegroup is.
 */
export function statusFailure(report: StatusReport): MlpError | undefined {
  if (report.healthy) return undefined;
  const nodegroup = report.nodegroup;
  if (nodegroup && isScaledToZero(nodegroup)) {
    return new MlpError('scaledToZero', `Nodegroup ${nodegroup.name} is scaled to zero nodes; no service can run.`, {
      hint: 'mlp scale up',
    });
  }
  const degraded = report.services.filter((service) => !service.healthy);
  const details = [
    ...degraded.flatMap((service) => service.problems.map((problem) => `${service.service}: ${problem}`)),
    ...(nodegroup && !nodegroup.healthy ? nodegroup.problems.map((problem) => `nodegroup ${nodegroup.name}: ${problem}`) : []),
  ];
  const what =
    degraded.length > 0
      ? `${degraded.length} of ${report.services.length} service${report.services.length === 1 ? '' : 's'} degraded: ${degraded
          .map((service) => service.service)
          .join(', ')}.`
      : `Nodegroup ${nodegroup?.name ?? ''} is degraded.`;
  return new MlpError('degraded', what, { details, hint: degradedHint(report, degraded) });
}

function degradedHint(report: StatusReport, degraded: readonly ServiceStatus[]): string {
  const first = degraded[0];
  if (!first) return 'aws eks describe-nodegroup shows its health issues';
  if (report.target === 'local') {
    return first.container?.state === 'missing'
      ? 'mlp deploy --target local starts it'
      : `docker logs ${first.container?.name ?? ''} shows why; mlp deploy --target local replaces it`;
  }
  if (first.rollout?.state === 'missing') return 'mlp deploy creates it';
  return `kubectl -n ${report.namespace ?? 'default'} describe deployment ${first.service} shows more; mlp rollback ${first.service} restores the previous revision`;
}
