/**
 * The only place in mlp that constructs @kubernetes/client-node objects: the KubeConfig (from an EKS endpoint and
 * token, or a kubeconfig file) and every API client built on it. The rest of mlp holds a KubeClient and asks it
 * for `core`, `apps`, … ; each is made on first use and kept, so a run reaches the cluster one way throughout.
 * client-node is loaded with a dynamic import when a KubeClient is opened, so `mlp --help` never pays for it.
 */
import type {
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  PortForward,
  V1MicroTime,
} from '@kubernetes/client-node';
// mlp scale: PodDisruptionBudgets and merge patches of Nodes.
import type { ConfigurationOptions, PolicyV1Api } from '@kubernetes/client-node';
import type https from 'node:https';
import { parse } from 'yaml';
import type { MlpConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import { clusterAccess, type ClusterAccess } from './cluster-access.js';

type ClientNode = typeof import('@kubernetes/client-node');

export class KubeClient {
  readonly #k8s: ClientNode;
  readonly #made = new Map<string, unknown>();

  private constructor(
    k8s: ClientNode,
    /** The configuration the clients are built on: for what they do not cover (the current cluster and user). */
    readonly kubeConfig: KubeConfig,
    /** For messages: "EKS cluster ml-platform (DescribeCluster, STS token)", "kubeconfig context kind-dev". */
    readonly source: string,
  ) {
    this.#k8s = k8s;
  }

  /** Clients on an existing KubeConfig (tests and tools that load their own). */
  static async fromKubeConfig(
    kubeConfig: KubeConfig,
    source = `kubeconfig context ${kubeConfig.getCurrentContext()}`,
  ): Promise<KubeClient> {
    return new KubeClient(await import('@kubernetes/client-node'), kubeConfig, source);
  }

  /** Clients for the cluster `access` describes (cluster-access.ts): an EKS endpoint and token, or a kubeconfig. */
  static async forAccess(access: ClusterAccess): Promise<KubeClient> {
    const k8s = await import('@kubernetes/client-node');
    if (access.kind === 'eks') return new KubeClient(k8s, eksKubeConfig(k8s, access), access.source);
    const kubeConfig = loadKubeConfig(k8s, access);
    return new KubeClient(k8s, kubeConfig, `kubeconfig context ${kubeConfig.getCurrentContext()}`);
  }

  #cached<T>(name: string, make: () => T): T {
    if (!this.#made.has(name)) this.#made.set(name, make());
    return this.#made.get(name) as T;
  }

  get core(): CoreV1Api {
    return this.#cached('core', () => this.kubeConfig.makeApiClient(this.#k8s.CoreV1Api));
  }

  get apps(): AppsV1Api {
    return this.#cached('apps', () => this.kubeConfig.makeApiClient(this.#k8s.AppsV1Api));
  }

  get batch(): BatchV1Api {
    return this.#cached('batch', () => this.kubeConfig.makeApiClient(this.#k8s.BatchV1Api));
  }

  /** PodDisruptionBudgets (mlp scale down names the one that refuses an eviction). */
  get policy(): PolicyV1Api {
    return this.#cached('policy', () => this.kubeConfig.makeApiClient(this.#k8s.PolicyV1Api));
  }

  /**
   * Request options that send a `patch…` call as a JSON merge patch; client-node sends a JSON Patch (a list of
   * operations) otherwise. `core.patchNode({ name, body: { spec: { unschedulable: true } } }, kube.mergePatch)`.
   */
  get mergePatch(): ConfigurationOptions {
    return this.#cached('mergePatch', () => this.#k8s.setHeaderOptions('Content-Type', this.#k8s.PatchStrategy.MergePatch));
  }

  get apiextensions(): ApiextensionsV1Api {
    return this.#cached('apiextensions', () => this.kubeConfig.makeApiClient(this.#k8s.ApiextensionsV1Api));
  }

  /** Leases: the project lock (src/lib/lock/lease-lock.ts). */
  get coordination(): CoordinationV1Api {
    return this.#cached('coordination', () => this.kubeConfig.makeApiClient(this.#k8s.CoordinationV1Api));
  }

  /** A Lease's acquireTime/renewTime: the API wants microseconds (RFC 3339 with six digits), which a Date does not print. */
  microTime(at: Date): V1MicroTime {
    return new this.#k8s.V1MicroTime(at.getTime());
  }

  /** Any kind by apiVersion and kind (apply, prune, diff, rollback). */
  get objects(): KubernetesObjectApi {
    return this.#cached('objects', () => this.#k8s.KubernetesObjectApi.makeApiClient(this.kubeConfig));
  }

  get portForward(): PortForward {
    return this.#cached('portForward', () => new this.#k8s.PortForward(this.kubeConfig));
  }

  /** HorizontalPodAutoscalers (mlp status: current and target replicas and utilisation). */
  get autoscaling(): import('@kubernetes/client-node').AutoscalingV2Api {
    return this.#cached('autoscaling', () => this.kubeConfig.makeApiClient(this.#k8s.AutoscalingV2Api));
  }

  /** Ingresses (mlp status: the host a service is reached at). */
  get networking(): import('@kubernetes/client-node').NetworkingV1Api {
    return this.#cached('networking', () => this.kubeConfig.makeApiClient(this.#k8s.NetworkingV1Api));
  }

  /**
   * client-node's typed models name a few fields differently from the API (LimitRange's `default` is `_default`,
   * schemas' `enum` is `_enum`), and KubernetesObjectApi serializes what it sends by the model: a plain object with
   * the API's own name loses that field without a word. So rendered objects become models before they are sent
   * (loadYaml is client-node's own plain → model conversion; JSON is YAML)…
   */
  toModel<T extends KubernetesObject>(object: T): T {
    return this.#k8s.loadYaml<T>(JSON.stringify(object));
  }

  /** …and objects read back become plain API JSON again before they are shown or compared as text. */
  toWire(object: KubernetesObject): KubernetesObject {
    return parse(this.#k8s.dumpYaml(object)) as KubernetesObject;
  }

  /**
   * Server-side apply of `object` (already a model: see toModel) as `fieldManager`, forcing conflicts;
   * with dryRun the API server validates and defaults it and persists nothing. Resolves with what it stored.
   */
  serverSideApply<T extends KubernetesObject>(object: T, options: { fieldManager: string; dryRun?: boolean }): Promise<T> {
    return this.objects.patch(
      object,
      undefined,
      options.dryRun ? 'All' : undefined,
      options.fieldManager,
      true,
      this.#k8s.PatchStrategy.ServerSideApply,
    );
  }

  /**
   * The key names of Secret `name` in `namespace`, or undefined when there is no such Secret: whether it has the keys
   * a pod references (mlp debug sagemaker). The API sends the values with the object; they are dropped here, so
   * nothing past this method ever holds them.
   */
  async secretKeys(namespace: string, name: string): Promise<string[] | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace });
      return [...new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})])].sort();
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  /** The URL and TLS/auth options for a plain HTTPS request to the API server at `path` (a streamed pod log). */
  async apiServerRequest(path: string): Promise<{ url: URL; options: https.RequestOptions }> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    const options: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    return { url: new URL(`${cluster.server}${path}`), options };
  }
}

/**
 * Clients for the cluster mlp.yaml names (cluster-access.ts decides how it is reached). `env` is the command's
 * environment (CliIo.env): KUBECONFIG, and the AWS settings for an EKS token.
 */
export async function openKubeClient(
  config: Pick<MlpConfig, 'cluster' | 'deploy' | 'aws'>,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
  onToken?: (token: string) => void,
): Promise<KubeClient> {
  const access = await clusterAccess(config, env, signal);
  if (access.kind === 'eks') onToken?.(access.token);
  return KubeClient.forAccess(access);
}

/** A kubeconfig for an EKS cluster, in memory: endpoint, CA and the STS-signed token. */
function eksKubeConfig(k8s: ClientNode, access: Extract<ClusterAccess, { kind: 'eks' }>): KubeConfig {
  const { cluster, token } = access;
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: cluster.name, server: cluster.endpoint, caData: cluster.certificateAuthority, skipTLSVerify: false }],
    users: [{ name: `mlp@${cluster.name}`, token }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: `mlp@${cluster.name}` }],
    currentContext: cluster.name,
  });
  return kubeConfig;
}

/** The kubeconfig file (or client-node's default) at the configured context, or its current one. */
function loadKubeConfig(k8s: ClientNode, access: Extract<ClusterAccess, { kind: 'kubeconfig' }>): KubeConfig {
  const { file, context } = access;
  const kubeConfig = new k8s.KubeConfig();
  try {
    if (file) kubeConfig.loadFromFile(file);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new MlpError('config', `Could not read the kubeconfig ${file ?? '(~/.kube/config)'}: ${(error as Error).message}`, {
      hint: 'set KUBECONFIG, or cluster.name with the eks target',
    });
  }
  if (context) {
    if (!kubeConfig.getContextObject(context)) {
      throw new MlpError('config', `cluster.context: the kubeconfig has no context ${context}.`, {
        hint: `contexts: ${
          kubeConfig
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }`,
      });
    }
    kubeConfig.setCurrentContext(context);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new MlpError('config', 'No Kubernetes cluster is configured: the kubeconfig has no current context.', {
      hint: 'set KUBECONFIG or cluster.context',
    });
  }
  return kubeConfig;
}
