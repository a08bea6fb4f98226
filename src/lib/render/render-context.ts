/**
 * What the templates in templates/k8s can name: typed values derived from the resolved mlp.yaml and the image each
 * service runs. Every decision that is more than copying a field (quota sums, grace periods, which env the serving
 * app gets, names) is made here, in code; the templates only place the values. Absent optional values are null, so
 * the templater drops their keys, and a misspelt placeholder is still an error.
 */
import { createHash } from 'node:crypto';
import { serviceConfigHash } from '../deploy/release-identity.js';
import type { MlpConfig, ServiceConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import { resolveCommand } from '../train/command-line.js';
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from './quantities.js';

export type Labels = Record<string, string>;

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: Record<string, string>;
}

/** The image a workload runs and the version its labels carry (model version, else the content tag). */
export interface ImageRef {
  reference: string;
  version: string;
}

/** Namespace, ResourceQuota and LimitRange (templates/k8s/project). */
export interface ProjectContext {
  project: string;
  namespace: string;
  labels: Labels;
  quota: { requestsCpu: string; requestsMemory: string; limitsCpu: string; limitsMemory: string; pods: string };
  limitRange: Resources;
  /** The project's Ingress, routing each expose.path to its service (enabled when a service has one). */
  ingress: {
    enabled: boolean;
    alb: boolean;
    host: string | null;
    ingressClassName: string | null;
    paths: Array<{ path: string; pathType: 'Prefix'; backend: { service: { name: string; port: { name: 'http' } } } }>;
  };
}

/** One service's objects (templates/k8s/service). */
export interface ServiceContext {
  project: string;
  namespace: string;
  /** Every object of the service is called this. */
  name: string;
  labels: Labels;
  /** The labels that pick the service's pods; never changes, since a Deployment's selector is immutable. */
  selector: Labels;
  image: string;
  service: {
    port: number;
    /** null when an HPA owns the replica count. */
    replicas: number | null;
    env: Record<string, string>;
    /** serviceConfigHash (release-identity.ts), as a pod annotation: env comes from a ConfigMap that pods read only at start, so a change must roll them. */
    configHash: string;
    resources: Resources;
    roleArn: string | null;
  };
  /** The serving app's own settings (serving/README.md), set on the container; null ones are left out. */
  serving: {
    PORT: string;
    SHUTDOWN_DELAY_MS: string;
    SHUTDOWN_TIMEOUT_MS: string;
    MODEL_NAME: string | null;
    SAGEMAKER_ENDPOINT: string | null;
    SAGEMAKER_CONTENT_TYPE: string | null;
    AWS_REGION: string | null;
    BASE_PATH: string | null;
  };
  /** cluster.awsCredentialsSecret, for services with a SageMaker backend (the Deployment's env references its keys). */
  awsCredentialsSecret: string | null;
  autoscaling: { enabled: boolean; min: number; max: number; targetCPU: number; targetMemory: number | null };
  rollout: { progressDeadlineSeconds: number; terminationGracePeriodSeconds: number };
  /** ownIngress: type ingress without a path (with a path the project's Ingress routes it). */
  expose: { ownIngress: boolean; nlb: boolean; alb: boolean; host: string | null; ingressClassName: string | null };
  monitoring: { serviceMonitor: boolean };
}

/** One training run (templates/k8s/training/): its ServiceAccount and Job. */
export interface TrainingContext {
  project: string;
  namespace: string;
  /** The ServiceAccount's: <project>-training. */
  name: string;
  jobName: string;
  labels: Labels;
  roleArn: string | null;
  image: string;
  command: string[];
  env: ContainerEnv[];
  resources: Resources | null;
  timeoutSeconds: number;
  outputDir: string;
}

/** A container's env entry: a value, or a key of a Secret. */
export type ContainerEnv =
  { name: string; value: string } | { name: string; valueFrom: { secretKeyRef: { name: string; key: string; optional?: boolean } } };

/**
 * The pod's AWS credentials from cluster.awsCredentialsSecret, by reference (the values never pass through mlp). A
 * missing Secret or key stops the container from starting (CreateContainerConfigError), which the rollout and training
 * watches report; the session token is optional, as it is for long-lived keys.
 */
export function awsCredentialEnv(secret: string | undefined): ContainerEnv[] {
  if (!secret) return [];
  return [
    { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: secret, key: 'AWS_ACCESS_KEY_ID' } } },
    { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: secret, key: 'AWS_SECRET_ACCESS_KEY' } } },
    { name: 'AWS_SESSION_TOKEN', valueFrom: { secretKeyRef: { name: secret, key: 'AWS_SESSION_TOKEN', optional: true } } },
  ];
}

/** The label value that keeps a training run's objects out of mlp deploy's pruning (they are not what it renders). */
export const TRAINING_COMPONENT = 'training';

/** The namespace when mlp.yaml has no cluster section (the same default as cluster.namespace). */
export const DEFAULT_NAMESPACE = 'ml-platform';

/** The defaults of services[].resources, which the LimitRange gives containers that set none. */
const DEFAULT_RESOURCES: Resources = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } };

/** Kept in step with the Deployment template's strategy.rollingUpdate.maxSurge: 25%. */
const MAX_SURGE = 0.25;

/** Load balancers and kube-proxy take a few seconds to stop routing to a terminating pod; it keeps serving meanwhile. */
const SHUTDOWN_DELAY_MS = 5000;
/** The serving app's default drain time. */
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** The kubelet's SIGKILL must come after the app's own deadline, never before it. */
const GRACE_MARGIN_SECONDS = 5;

/** Where the training image writes the model (its MLP_OUTPUT_DIR). */
const TRAINING_OUTPUT_DIR = '/opt/mlp/output';

export function namespaceOf(config: Pick<MlpConfig, 'cluster'>): string {
  return config.cluster?.namespace ?? DEFAULT_NAMESPACE;
}

/**
 * The recommended app.kubernetes.io labels plus mlp's own, which pruning selects by. Project-level objects have no
 * mlp.dev/service (they belong to none) and no version (a Namespace does not change with the model).
 */
export function labelsFor(
  project: string,
  part: { name: string; instance: string; version?: string; service?: string; component?: string },
): Labels {
  return {
    'app.kubernetes.io/name': part.name,
    'app.kubernetes.io/instance': part.instance,
    ...(part.version === undefined ? {} : { 'app.kubernetes.io/version': labelValue(part.version) }),
    ...(part.component === undefined ? {} : { 'app.kubernetes.io/component': part.component }),
    'app.kubernetes.io/part-of': project,
    'app.kubernetes.io/managed-by': 'mlp',
    'mlp.dev/project': project,
    ...(part.service === undefined ? {} : { 'mlp.dev/service': part.service }),
  };
}

/** A label value: at most 63 of [A-Za-z0-9-_.], starting and ending alphanumeric (a dir model's version is free text). */
export function labelValue(text: string): string {
  const value = text
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return value === '' ? 'unknown' : value;
}

export function projectContext(config: MlpConfig): ProjectContext {
  const project = config.name;
  const pods: Array<{ count: number; resources: Resources }> = config.services.map((service) => ({
    count: peakPods(service),
    resources: service.resources,
  }));
  if (config.training?.remote?.enabled) pods.push({ count: 1, resources: config.training.remote.resources ?? DEFAULT_RESOURCES });
  const sum = (pick: (r: Resources) => string, parse: (q: string) => number) =>
    pods.reduce((total, p) => total + p.count * parse(pick(p.resources)), 0);
  return {
    project,
    namespace: namespaceOf(config),
    labels: labelsFor(project, { name: project, instance: project }),
    // Room for every service at its largest (HPA max, or replicas) plus a rolling update's surge pods, and the
    // training Job: a tighter quota would stop a rollout or a scale-up half-way with FailedCreate.
    quota: {
      requestsCpu: formatCpu(sum((r) => r.requests.cpu, cpuMillis)),
      requestsMemory: formatMemory(sum((r) => r.requests.memory, memoryBytes)),
      limitsCpu: formatCpu(sum((r) => r.limits.cpu ?? DEFAULT_RESOURCES.limits.cpu!, cpuMillis)),
      limitsMemory: formatMemory(sum((r) => r.limits.memory ?? DEFAULT_RESOURCES.limits.memory!, memoryBytes)),
      pods: String(pods.reduce((total, p) => total + p.count, 0)),
    },
    limitRange: DEFAULT_RESOURCES,
    ingress: sharedIngress(config),
  };
}

/** The schema made the routed services agree on host and class, so the first one's are everyone's. */
function sharedIngress(config: MlpConfig): ProjectContext['ingress'] {
  const routed = config.services.filter((service) => service.expose?.type === 'ingress' && service.expose.path !== undefined);
  const expose = routed[0]?.expose;
  return {
    enabled: routed.length > 0,
    alb: expose?.ingressClassName === 'alb',
    host: expose?.host ?? null,
    ingressClassName: expose?.ingressClassName ?? null,
    paths: routed.map((service) => ({
      path: service.expose!.path!,
      pathType: 'Prefix' as const,
      backend: { service: { name: service.name, port: { name: 'http' as const } } },
    })),
  };
}

/** The most pods a service can have at once: its largest size plus the surge of a rolling update at that size. */
function peakPods(service: ServiceConfig): number {
  const size = autoscaled(service) ? service.autoscaling!.max : service.replicas;
  return size + Math.ceil(size * MAX_SURGE);
}

function autoscaled(service: ServiceConfig): boolean {
  return service.autoscaling !== undefined && service.autoscaling.enabled;
}

export interface ServiceContextOptions {
  serviceMonitor: boolean;
}

export function serviceContext(config: MlpConfig, service: ServiceConfig, image: ImageRef, options: ServiceContextOptions): ServiceContext {
  const project = config.name;
  const env: Record<string, string> = { ...service.env };
  if (env.PORT !== undefined && env.PORT !== String(service.port)) {
    throw new MlpError(
      'render',
      `Service ${service.name}: env.PORT is ${env.PORT}, but the container port is services[].port (${service.port}).`,
      {
        hint: `remove PORT from services[].env and set services[].port instead`,
      },
    );
  }
  const delayMs = milliseconds(service, env, 'SHUTDOWN_DELAY_MS', SHUTDOWN_DELAY_MS);
  const timeoutMs = milliseconds(service, env, 'SHUTDOWN_TIMEOUT_MS', SHUTDOWN_TIMEOUT_MS);
  const model = service.model;
  const scaling = service.autoscaling;
  const expose = service.expose?.type ?? 'none';
  return {
    project,
    namespace: namespaceOf(config),
    name: service.name,
    labels: labelsFor(project, {
      name: service.name,
      instance: `${project}-${service.name}`,
      version: image.version,
      service: service.name,
    }),
    selector: { 'app.kubernetes.io/name': service.name, 'app.kubernetes.io/instance': `${project}-${service.name}` },
    image: image.reference,
    service: {
      port: service.port,
      replicas: autoscaled(service) ? null : service.replicas,
      env,
      configHash: serviceConfigHash(config, service),
      resources: service.resources,
      roleArn: service.serviceAccount?.roleArn ?? null,
    },
    serving: {
      PORT: String(service.port),
      SHUTDOWN_DELAY_MS: String(delayMs),
      SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
      // A trained model is named after the project (mlp train's MLP_MODEL_NAME); a dir model by its metadata.json.
      MODEL_NAME: model.source === 'training' ? project : model.source === 'sagemaker' ? service.name : null,
      SAGEMAKER_ENDPOINT: model.source === 'sagemaker' ? model.endpoint : null,
      SAGEMAKER_CONTENT_TYPE: model.source === 'sagemaker' ? model.contentType : null,
      AWS_REGION: model.source === 'sagemaker' ? config.aws.region : null,
      BASE_PATH: expose === 'ingress' ? (service.expose?.path ?? null) : null,
    },
    // Only the services that call AWS themselves (the SageMaker backend) are given the credentials.
    awsCredentialsSecret: model.source === 'sagemaker' ? (config.cluster?.awsCredentialsSecret ?? null) : null,
    autoscaling: {
      enabled: autoscaled(service),
      min: scaling?.min ?? service.replicas,
      max: scaling?.max ?? service.replicas,
      targetCPU: scaling?.targetCPU ?? 70,
      targetMemory: scaling?.targetMemory ?? null,
    },
    rollout: {
      progressDeadlineSeconds: config.deploy.timeoutSeconds,
      terminationGracePeriodSeconds: Math.ceil((delayMs + timeoutMs) / 1000) + GRACE_MARGIN_SECONDS,
    },
    expose: {
      ownIngress: expose === 'ingress' && service.expose?.path === undefined,
      nlb: expose === 'nlb',
      alb: expose === 'ingress' && service.expose?.ingressClassName === 'alb',
      host: service.expose?.host ?? null,
      ingressClassName: service.expose?.ingressClassName ?? null,
    },
    monitoring: { serviceMonitor: options.serviceMonitor },
  };
}

/** A shutdown setting: the user's value from services[].env when set (the grace period must cover it), else mlp's. */
function milliseconds(service: ServiceConfig, env: Record<string, string>, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new MlpError('render', `Service ${service.name}: env.${name} is "${text}", not a whole number of milliseconds.`);
  }
  return value;
}

export interface TrainingRun {
  /** MLP_MODEL_VERSION: the version mlp registers the model as. */
  version: string;
  /** MLP_ARTIFACTS_URI: s3://bucket/prefix/<name>/<version>/, where the image uploads the model. */
  artifactsUri: string;
}

/** Without `run` (mlp render) the Job has no version or artifacts location: what a run fills in is left out. */
export function trainingContext(config: MlpConfig, image: ImageRef, run?: TrainingRun): TrainingContext {
  const training = config.training;
  if (!training?.remote?.enabled) throw new Error('trainingContext needs training.remote.enabled');
  const project = config.name;
  // Kubernetes expands $(VAR) in command and args from the container's env, so the placeholders stay placeholders.
  const command = resolveCommand(training.command, { MLP_OUTPUT_DIR: '$(MLP_OUTPUT_DIR)', MLP_MODEL_VERSION: '$(MLP_MODEL_VERSION)' });
  const own: Record<string, string | undefined> = {
    MLP_OUTPUT_DIR: TRAINING_OUTPUT_DIR,
    MLP_MODEL_NAME: project,
    MLP_MODEL_VERSION: run?.version,
    MLP_ARTIFACTS_URI: run?.artifactsUri,
    AWS_REGION: config.aws.region,
    PYTHONUNBUFFERED: '1',
    // The root filesystem is read-only; libraries that write caches under $HOME get the /tmp emptyDir.
    HOME: '/tmp',
  };
  const env: TrainingContext['env'] = [
    ...Object.entries(training.env ?? {}).filter(([name]) => !(name in own)),
    ...Object.entries(own).filter((entry): entry is [string, string] => entry[1] !== undefined),
  ].map(([name, value]) => ({ name, value }));
  // The Job uploads the model to S3: it needs credentials (IRSA through roleArn, or the cluster's Secret).
  env.push(...awsCredentialEnv(config.cluster?.awsCredentialsSecret));
  const remote = training.remote;
  const gpus: Record<string, string> = remote.gpus ? { 'nvidia.com/gpu': String(remote.gpus) } : {};
  const resources: Resources | null = remote.resources
    ? { requests: { ...remote.resources.requests }, limits: { ...remote.resources.limits, ...gpus } }
    : remote.gpus
      ? { requests: { ...DEFAULT_RESOURCES.requests }, limits: { ...DEFAULT_RESOURCES.limits, ...gpus } }
      : null;
  const fields = {
    image: image.reference,
    command: [command.file, ...command.args],
    env,
    resources,
    timeoutSeconds: training.timeoutSeconds,
    roleArn: remote.roleArn ?? null,
  };
  // A Job's pod template cannot be changed, so the name follows everything in it: the same inputs re-apply as a
  // no-op, and different ones (every run has its own version) make a new Job instead of an apply error.
  const hash = createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 10);
  const base = project.slice(0, 63 - '-training'.length).replace(/-+$/, '');
  return {
    project,
    namespace: namespaceOf(config),
    name: `${base}-training`,
    jobName: `${project.slice(0, 63 - '-train-'.length - hash.length).replace(/-+$/, '')}-train-${hash}`,
    labels: labelsFor(project, {
      name: project,
      instance: `${project}-training`,
      version: run?.version ?? image.version,
      component: TRAINING_COMPONENT,
    }),
    ...fields,
    outputDir: TRAINING_OUTPUT_DIR,
  };
}
