/**
 * The mlp.yaml schema (`apiVersion: mlp/v1`): one zod schema, strict objects, defaults in the schema.
 * `schema/mlp.schema.json` is generated from it (emit-json-schema.ts), so editors and mlp agree.
 */
import * as z from 'zod';
import { overlayOf } from './overlay.js';

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CPU = /^(\d+(\.\d+)?|\.\d+)m?$/;
const MEMORY = /^(\d+(\.\d+)?|\.\d+)([eE]\d+|[kMGTPE]|[KMGTPE]i)?$/;
const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const REGISTRY_URL = /^[A-Za-z0-9.-]+(:\d{1,5})?(\/[a-z0-9._/-]+)?$/;
const SAGEMAKER_ENDPOINT = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
/** s3://bucket[/prefix]: a bucket name as S3 allows it (3–63 lowercase letters, digits, dots, hyphens), then any key prefix. */
const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOST_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const dnsLabel = () =>
  z.string().regex(DNS_LABEL, {
    error:
      'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
  });

const seconds = (fallback: number) => z.int().min(1).max(86_400).default(fallback);
const quantity = (pattern: RegExp, what: string, example: string) => (fallback: string) =>
  z
    .union([z.string().regex(pattern, { error: `must be a Kubernetes ${what} quantity such as ${example}` }), z.number().positive()])
    .default(fallback)
    .transform(String);
const cpu = quantity(CPU, 'CPU', '"250m" or "1"');
const memory = quantity(MEMORY, 'memory', '"256Mi" or "1Gi"');
/** Environment values are strings; YAML numbers and booleans are accepted and kept as their text. */
/** AWS credentials in env would be written into a ConfigMap or a Job's spec, readable by anyone who can read the namespace. */
const CREDENTIAL_ENV = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);

const envMap = () =>
  z.record(z.string().regex(ENV_NAME), z.union([z.string(), z.number(), z.boolean()]).transform(String)).superRefine((env, ctx) => {
    for (const name of Object.keys(env).filter((key) => CREDENTIAL_ENV.has(key))) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message:
          'would put AWS credentials into the manifests in plain text; remove it and give the pods a role (serviceAccount.roleArn, training.remote.roleArn) or a Secret (cluster.awsCredentialsSecret)',
      });
    }
  });

/**
 * Adds "duplicate name" issues. It runs even when an element has other problems, so all are reported at once,
 * but only on a list: zod runs a check given `when` whatever the input was (null, 3, a mapping), and an element
 * may be any YAML value. The other cross-field checks keep zod's default and so see only type-valid objects.
 */
function uniqueNames(what: string) {
  return (items: readonly unknown[], ctx: z.core.$RefinementCtx<readonly unknown[]>) => {
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      const name = item !== null && typeof item === 'object' ? (item as { name?: unknown }).name : undefined;
      if (typeof name !== 'string') return;
      const first = seen.get(name);
      if (first === undefined) seen.set(name, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: [index, 'name'],
          input: name,
          message: `duplicates ${what}[${first}].name "${name}"; names must be unique`,
        });
    });
  };
}
const whenList = { when: (payload: z.core.ParsePayload) => Array.isArray(payload.value) };
/** Cross-service checks run on services that are each valid, so one wrong field is not reported twice. */
const whenValid = { when: (payload: z.core.ParsePayload) => payload.issues.length === 0 };

const resources = z
  .strictObject({
    requests: z.strictObject({ cpu: cpu('250m'), memory: memory('256Mi') }).prefault({}),
    limits: z.strictObject({ cpu: cpu('500m'), memory: memory('512Mi') }).prefault({}),
  })
  .describe('Kubernetes resource requests and limits of each replica.');

const nodegroupSize = (min: number, max: number, desired: number) =>
  z
    .strictObject({ min: z.int().min(0).default(min), max: z.int().min(1).default(max), desired: z.int().min(0).default(desired) })
    .superRefine((size, ctx) => {
      if (size.max < size.min) ctx.addIssue({ code: 'custom', path: ['max'], input: size.max, message: `must be >= min (${size.min})` });
      else if (size.desired < size.min || size.desired > size.max)
        ctx.addIssue({
          code: 'custom',
          path: ['desired'],
          input: size.desired,
          message: `must be between min (${size.min}) and max (${size.max})`,
        });
    });

export const awsSchema = z.strictObject({
  region: z.string().regex(AWS_REGION, { error: 'must be an AWS region such as us-east-1' }).default('us-east-1'),
  accountId: z
    .string()
    .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account ID (quote it so YAML keeps leading zeros)' })
    .optional(),
});

export const registrySchema = z
  .strictObject({
    type: z
      .enum(['ecr', 'generic'])
      .default('ecr')
      .describe('ecr: Amazon ECR (repositories are created, with a lifecycle policy); generic: any OCI registry.'),
    url: z
      .string()
      .optional()
      .describe(
        'Registry host[:port][/prefix]. For ECR it defaults to <accountId>.dkr.ecr.<region>.amazonaws.com; set it only when ECR is reached through another host name (a pull-through proxy, or a local registry in tests).',
      ),
    keepImages: z.int().min(1).default(30).describe('ECR lifecycle: keep this many tagged images per repository.'),
    expireDays: z.int().min(1).default(90).describe('ECR lifecycle: expire untagged images after this many days.'),
  })
  .superRefine((registry, ctx) => {
    const url = registry.url;
    if (registry.type === 'generic' && url === undefined)
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required when type is generic' });
    else if (url !== undefined && !REGISTRY_URL.test(url))
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        input: url,
        message: `"${url}" is not a registry address such as 127.0.0.1:5000 or registry.example.com/team (no scheme)`,
      });
  });

export const clusterSchema = z.strictObject({
  name: z.string().regex(EKS_CLUSTER_NAME, { error: 'must be an EKS cluster name: letters, digits, "-" and "_", at most 100 characters' }),
  nodegroup: z.string().min(1).optional().describe('The managed nodegroup `mlp scale` resizes.'),
  namespace: dnsLabel().default('ml-platform'),
  context: z
    .string()
    .min(1)
    .optional()
    .describe('kubeconfig context; default: the one `aws eks update-kubeconfig` writes for the cluster.'),
  awsCredentialsSecret: z
    .string()
    .regex(DNS_SUBDOMAIN, { error: 'must be the name of a Secret in cluster.namespace, such as aws-credentials' })
    .max(253)
    .optional()
    .describe(
      'For clusters without IRSA: a Secret in cluster.namespace holding AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN optional). The training Job and SageMaker-backed services read their AWS credentials from it; mlp references it and never reads or writes its values.',
    ),
  scaling: z
    .strictObject({ up: nodegroupSize(2, 4, 2).prefault({}), down: nodegroupSize(0, 4, 0).prefault({}) })
    .prefault({})
    .describe('Nodegroup sizes for `mlp scale up|down`.'),
});

const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;

export const buildSchema = z.strictObject({
  platform: z
    .enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(', ')}` })
    .optional()
    .describe("Image platform; default: the architecture of the cluster's nodes (eks) or of the local Docker engine (local)."),
  baseImage: z.string().min(1).default('node:20-bookworm-slim').describe('Node.js base image of the serving image (build arg BASE_IMAGE).'),
  pythonBaseImage: z
    .string()
    .min(1)
    .default('python:3.11-slim-bookworm')
    .describe('Python base image of the training image (build arg BASE_IMAGE).'),
  dockerfile: z
    .string()
    .min(1)
    .optional()
    .describe("Your own serving Dockerfile, relative to mlp.yaml; default: mlp's templates/docker/serving.Dockerfile."),
  caFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      "CA bundle of a TLS-intercepting proxy, given to the build as the BuildKit secret `ca` (never a build arg, so it is not in the image's history). Default: $NODE_EXTRA_CA_CERTS when set.",
    ),
  concurrency: z.int().min(1).max(16).default(2).describe('How many images build at once.'),
});

export const deploySchema = z.strictObject({
  target: z.enum(['local', 'eks']).default('local').describe("local: this machine's Docker engine; eks: the cluster."),
  timeoutSeconds: seconds(300).describe('How long a rollout may take to become available.'),
  rollback: z.boolean().default(true).describe('Roll back to the previous revision when the rollout or the smoke test fails.'),
});

export const trainingSchema = z.strictObject({
  command: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .describe('The training command: a string (split into words, no shell) or a list. ${MLP_OUTPUT_DIR} is where it writes the model.'),
  workdir: z.string().min(1).default('.').describe('Directory the command runs in, relative to mlp.yaml.'),
  requirements: z.string().min(1).optional().describe('pip requirements file, relative to workdir; installed into a cached virtualenv.'),
  outputDir: z.string().min(1).optional().describe('Where the model is written; default: a fresh directory in the model registry.'),
  env: envMap().optional(),
  timeoutSeconds: seconds(1800),
  remote: z
    .strictObject({
      enabled: z.boolean().default(false).describe('Run training as a Kubernetes Job on the cluster instead of locally.'),
      artifacts: z
        .string()
        .regex(S3_URI, { error: 'must be an S3 location such as s3://my-bucket/models (a bucket name, then an optional key prefix)' })
        .optional()
        .describe(
          'Where the Job uploads the model (s3://bucket/prefix); mlp downloads it from <prefix>/<name>/<version>/ and registers it. Required when enabled.',
        ),
      roleArn: z
        .string()
        .regex(IAM_ROLE_ARN, { error: 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/fraud-training' })
        .optional()
        .describe(
          "IAM role the training pod assumes through IRSA to write to artifacts (the eks.amazonaws.com/role-arn annotation of the Job's ServiceAccount).",
        ),
      resources: resources.optional(),
      gpus: z.int().min(0).max(16).optional(),
    })
    .superRefine((remote, ctx) => {
      if (remote.enabled && remote.artifacts === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['artifacts'],
          message: 'is required when remote training is enabled: the S3 location the Job uploads the model to, e.g. s3://my-bucket/models',
        });
      }
    })
    .optional(),
});

export const modelSchema = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('training').describe('The newest model version `mlp train` registered.') }),
  z.strictObject({
    source: z.literal('dir'),
    path: z.string().min(1).describe('A directory with model.onnx and metadata.json, relative to mlp.yaml.'),
  }),
  z.strictObject({
    source: z.literal('sagemaker'),
    endpoint: z
      .string()
      .regex(SAGEMAKER_ENDPOINT, { error: 'must be a SageMaker endpoint name: letters, digits and "-", at most 63 characters' }),
    contentType: z.enum(['application/json', 'text/csv']).default('application/json'),
    metadata: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The model's metadata.json (feature_names, classes), relative to mlp.yaml: the serving app checks requests against it. Needed to build the service's image.",
      ),
  }),
]);

export const autoscalingSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    min: z.int().min(1).default(2),
    max: z.int().min(1).default(10),
    targetCPU: z.int().min(1).max(100).default(70).describe('Average CPU utilisation (% of requests) to scale at.'),
    targetMemory: z.int().min(1).max(100).optional().describe('Average memory utilisation (% of requests) to scale at.'),
  })
  .superRefine((scaling, ctx) => {
    if (scaling.max < scaling.min)
      ctx.addIssue({ code: 'custom', path: ['max'], input: scaling.max, message: `must be >= min (${scaling.min})` });
  });

export const smokeSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    method: z.enum(['GET', 'POST']).default('GET'),
    path: z.string().regex(/^\//, { error: 'must start with "/"' }),
    body: z.json().optional().describe('JSON request body (POST).'),
    expectStatus: z.int().min(100).max(599).default(200),
  })
  .superRefine((smoke, ctx) => {
    if (smoke.method === 'GET' && smoke.body !== undefined)
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'is not sent with GET; set method: POST' });
  });

export const serviceAccountSchema = z
  .strictObject({
    roleArn: z
      .string()
      .regex(IAM_ROLE_ARN, { error: 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/fraud-serving' })
      .describe('IAM role the pods assume through IRSA (the eks.amazonaws.com/role-arn annotation), e.g. to call SageMaker.'),
  })
  .describe("The service's Kubernetes ServiceAccount.");

export const exposeSchema = z
  .strictObject({
    type: z
      .enum(['none', 'ingress', 'nlb'])
      .default('none')
      .describe(
        "none: reachable inside the cluster only; ingress: an Ingress (e.g. the AWS Load Balancer Controller's ALB); nlb: a LoadBalancer Service for an AWS NLB.",
      ),
    host: z
      .string()
      .max(253)
      .regex(HOST_NAME, { error: 'must be a DNS host name such as fraud.example.com (or *.example.com)' })
      .optional()
      .describe('Host name the Ingress routes (type ingress); default: every host.'),
    ingressClassName: z
      .string()
      .max(253)
      .regex(DNS_SUBDOMAIN, { error: 'must be the name of an IngressClass, such as alb or nginx' })
      .optional()
      .describe(
        "IngressClass (type ingress); default: the cluster's default class. With alb the ALB gets internet-facing, IP targets and /ready health checks.",
      ),
    path: z
      .string()
      .max(200)
      .regex(/^(\/[A-Za-z0-9._~-]+)+$/, {
        error: 'must be a URL path such as /fraud: "/" and segments of letters, digits, ".", "_", "~" and "-", no trailing "/"',
      })
      .optional()
      .describe(
        "Path prefix (type ingress): the services that set one share one Ingress named after the project, each under its prefix (seed 000's gateway), and the serving app answers under it (BASE_PATH). They must agree on host and ingressClassName.",
      ),
  })
  .superRefine((expose, ctx) => {
    for (const key of ['host', 'ingressClassName', 'path'] as const) {
      if (expose[key] !== undefined && expose.type !== 'ingress') {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          input: expose[key],
          message: `is only used with type: ingress (type is ${expose.type})`,
        });
      }
    }
  })
  .describe('How the service is reached from outside the cluster.');

export const serviceSchema = z.strictObject({
  name: dnsLabel(),
  model: modelSchema,
  port: z.int().min(1).max(65_535).default(8080).describe('Port the serving app listens on in the container.'),
  replicas: z.int().min(0).max(1000).default(2),
  autoscaling: autoscalingSchema.optional(),
  resources: resources.prefault({}),
  env: envMap().optional(),
  serviceAccount: serviceAccountSchema.optional(),
  expose: exposeSchema.optional(),
  smoke: z.array(smokeSchema).default([]).describe('Requests `mlp test` sends after a deploy; each must answer expectStatus.'),
});

const configShape = {
  apiVersion: z.literal('mlp/v1'),
  name: dnsLabel().describe('Project name; prefixes images, Kubernetes objects and model versions.'),
  aws: awsSchema.prefault({}),
  registry: registrySchema.optional(),
  cluster: clusterSchema.optional(),
  build: buildSchema.prefault({}),
  deploy: deploySchema.prefault({}),
  training: trainingSchema.optional(),
  services: z.array(serviceSchema).min(1).superRefine(uniqueNames('services'), whenList).superRefine(oneSharedIngress, whenValid),
};

/** The services routed by path share one Ingress: one host, one class, and each prefix once. */
function oneSharedIngress(services: readonly z.output<typeof serviceSchema>[], ctx: z.core.$RefinementCtx<readonly unknown[]>): void {
  const routed = services.map((service, index) => ({ service, index })).filter(({ service }) => service.expose?.path !== undefined);
  const [first] = routed;
  if (first === undefined) return;
  const paths = new Map<string, number>();
  for (const { service, index } of routed) {
    const expose = service.expose!;
    for (const key of ['host', 'ingressClassName'] as const) {
      if (expose[key] !== first.service.expose![key]) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'expose', key],
          input: expose[key],
          message: `is ${JSON.stringify(expose[key] ?? null)} but services[${first.index}].expose.${key} is ${JSON.stringify(first.service.expose![key] ?? null)}; the services routed by expose.path share one Ingress, so give them the same ${key}`,
        });
      }
    }
    const earlier = paths.get(expose.path!);
    if (earlier !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'expose', 'path'],
        input: expose.path,
        message: `duplicates services[${earlier}].expose.path "${expose.path}"; each service needs its own prefix`,
      });
    } else paths.set(expose.path!, index);
  }
}

/** The resolved configuration (after profiles and overrides): what every stage reads. */
export const configSchema = z.strictObject(configShape);

const ACTIVATION = /^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/s;

/**
 * A profile: every section of the configuration, each key optional and without defaults (so it only changes
 * what it names). Lists replace the base's lists, except `services`, which merge by name.
 */
export const profileSchema = z.strictObject({
  name: dnsLabel(),
  activation: z
    .strictObject({
      env: z
        .string()
        .regex(ACTIVATION, { error: 'must be VAR=value (active when VAR has that value) or VAR (active when VAR is set and not empty)' }),
    })
    .optional(),
  aws: overlayOf(awsSchema).optional(),
  registry: overlayOf(registrySchema).optional(),
  cluster: overlayOf(clusterSchema).optional(),
  build: overlayOf(buildSchema).optional(),
  deploy: overlayOf(deploySchema).optional(),
  training: overlayOf(trainingSchema).optional(),
  services: z
    .array(overlayOf(serviceSchema).extend({ name: dnsLabel() }))
    .superRefine(uniqueNames('services'), whenList)
    .optional(),
});

/** What mlp.yaml may contain: the configuration plus its profiles. */
export const fileSchema = z.strictObject({
  ...configShape,
  profiles: z.array(profileSchema).superRefine(uniqueNames('profiles'), whenList).optional(),
});

/** The resolved configuration as every stage sees it: deep read-only, since the loaded object is frozen. */
export type MlpConfig = DeepReadonly<z.output<typeof configSchema>>;
export type MlpConfigInput = z.input<typeof configSchema>;
export type ServiceConfig = MlpConfig['services'][number];
export type ModelSource = ServiceConfig['model'];
export type SmokeTest = ServiceConfig['smoke'][number];
export type BuildSettings = MlpConfig['build'];
export type RegistrySettings = NonNullable<MlpConfig['registry']>;
export type ProfileInput = z.input<typeof profileSchema>;

/** Recursively read-only: the loaded configuration is frozen, and its type says so. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends ReadonlyArray<infer E>
    ? ReadonlyArray<DeepReadonly<E>>
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;
