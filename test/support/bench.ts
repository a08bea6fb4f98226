/**
 * Helpers for test files that need real components from the test bench (test/bench/*.sh): a Docker
 * engine, a registry, moto (AWS APIs) and the local Node and Python base images. test/setup/global-setup.ts probes
 * them once per run and provides their status as `inject('bench')`.
 */
import { describe, inject, it } from 'vitest';

export type BenchComponent =
  | 'docker'
  | 'registry'
  | 'moto'
  | 'baseImage'
  | 'kube'
  | 'buildx'
  | 'pythonImage'
  | 'node'
  | 'nodegroups'
  | 'chromium'
  | 'actionlint'
  | 'pythonClients';

export interface ComponentStatus {
  up: boolean;
  /** Why the component is not up (absent when it is). */
  why?: string;
}

export interface BenchStatus {
  docker: ComponentStatus;
  /** url: `host:port` of the registry, e.g. 127.0.0.1:5000 (what image references start with). */
  registry: ComponentStatus & { url?: string };
  /** endpoint: moto's base URL, e.g. http://127.0.0.1:5055. */
  moto: ComponentStatus & { endpoint?: string };
  /** image: the local Node base image to pass as `--build-arg BASE_IMAGE=…`. */
  baseImage: ComponentStatus & { image?: string };
  /** kubeconfig: path of the admin kubeconfig of the bench's Kubernetes control plane (test/bench/kube.sh). */
  kube: ComponentStatus & { kubeconfig?: string };
  /** The docker buildx CLI plugin (test/bench/buildx.sh), which `mlp build` prefers to plain `docker build`. */
  buildx: ComponentStatus;
  /** image: the local Python base image (test/bench/python-image.sh) for `build.pythonBaseImage` of training images. */
  pythonImage: ComponentStatus & { image?: string };
  /**
   * name: the bench cluster's one real worker node (test/bench/node.sh: kubelet + containerd), labelled
   * mlp.dev/bench-node=real and tainted mlp.dev/real-node=true:NoSchedule: a pod lands there only with a toleration
   * (and, to be sure, a nodeSelector on the label); every other pod keeps landing on the kwok nodes.
   */
  node: ComponentStatus & {
    name?: string;
    /** moto as the node's pods reach it (node.sh relays the node's address to moto), or why it cannot be reached. */
    podAwsEndpoint?: string;
    podAwsEndpointWhy?: string;
  };
  /**
   * The stand-in for managed nodegroups' EC2 instances (test/bench/nodegroup-standin.mjs): kwok Nodes labelled
   * eks.amazonaws.com/nodegroup=<name> and tainted mlp.dev/bench-nodegroup=<name>:NoSchedule follow each moto
   * nodegroup's desiredSize.
   */
  nodegroups: ComponentStatus;
  /** executable: Debian's chromium (test/bench/chromium.sh), for playwright-core's `executablePath`. */
  chromium: ComponentStatus & { executable?: string };
  /** executable: actionlint built from its Go module, with Debian's shellcheck beside it (test/bench/actionlint.sh). */
  actionlint: ComponentStatus & { executable?: string; shellcheck?: string };
  /** python: the venv with tritonclient[http,grpc] and schemathesis (test/bench/python-clients.sh), for the serving conformance tests. */
  pythonClients: ComponentStatus & { python?: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    bench: BenchStatus;
  }
}

const NOT_PROBED = 'the bench was not probed (vitest globalSetup test/setup/global-setup.ts did not run)';

/** The bench status provided by the global setup; everything down when the setup did not run. */
export function benchStatus(): BenchStatus {
  const status = inject('bench') as BenchStatus | undefined;
  if (status) return status;
  const down = { up: false, why: NOT_PROBED };
  return {
    docker: down,
    registry: down,
    moto: down,
    baseImage: down,
    kube: down,
    buildx: down,
    pythonImage: down,
    node: down,
    nodegroups: down,
    chromium: down,
    actionlint: down,
    pythonClients: down,
  };
}

/**
 * `describe` that runs only when every listed component is up. Otherwise the suite is skipped with the
 * reason in its name — or, with MLP_REQUIRE_INFRA=1 (CI), replaced by failing tests that say what is missing.
 */
export function describeWithBench(components: readonly BenchComponent[], name: string, fn: () => void): void {
  const status = benchStatus();
  const down = components.filter((c) => !status[c].up);
  if (down.length === 0) {
    describe(name, fn);
    return;
  }
  const why = (c: BenchComponent): string => status[c].why ?? 'not up';
  if (process.env.MLP_REQUIRE_INFRA === '1') {
    describe(name, () => {
      for (const c of down) {
        it(`requires ${c}`, () => {
          throw new Error(`MLP_REQUIRE_INFRA=1 and ${c} is not up: ${why(c)}`);
        });
      }
    });
    return;
  }
  describe.skip(`${name} [skipped: ${down.map((c) => `${c} not up: ${why(c)}`).join('; ')}]`, fn);
}

/** The moto endpoint, or an error naming why it is not available. */
export function motoEndpoint(): string {
  const { moto } = benchStatus();
  if (!moto.up || !moto.endpoint) throw new Error(`moto is not up: ${moto.why ?? 'no endpoint'}`);
  return moto.endpoint;
}

/**
 * What a process needs to reach moto through the SDK's standard chain (endpoint from AWS_ENDPOINT_URL,
 * credentials from the environment). The keys are moto's dummy values and exist only in test code.
 */
export function motoEnv(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: motoEndpoint(),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}

/**
 * A full environment for a child process that talks to moto: `base` without any other AWS_* variable
 * (a developer's AWS_PROFILE or session token must not leak into the tests), plus {@link motoEnv}.
 */
export function motoChildEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !key.startsWith('AWS_')) env[key] = value;
  }
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', ...motoEnv() };
}

/** The path of the bench cluster's admin kubeconfig, or an error naming why it is not available. */
export function kubeconfigPath(): string {
  const { kube } = benchStatus();
  if (!kube.up || !kube.kubeconfig) throw new Error(`the bench's Kubernetes is not up: ${kube.why ?? 'no kubeconfig'}`);
  return kube.kubeconfig;
}

/** The real node's label and taint (test/bench/node.sh), for suites whose pods must run real containers. */
export const REAL_NODE_LABEL = { key: 'mlp.dev/bench-node', value: 'real' } as const;
export const REAL_NODE_TAINT = { key: 'mlp.dev/real-node', value: 'true', effect: 'NoSchedule' } as const;

/** The name of the bench's real worker node, or an error naming why it is not available. */
export function realNodeName(): string {
  const { node } = benchStatus();
  if (!node.up || !node.name) throw new Error(`the bench's real node is not up: ${node.why ?? 'no node name'}`);
  return node.name;
}

/** The AWS endpoint (moto) for pods on the real node, or an error naming why there is none. */
export function podAwsEndpoint(): string {
  const { node, moto } = benchStatus();
  if (!moto.up) throw new Error(`moto is not up: ${moto.why ?? ''}`);
  if (!node.up || !node.podAwsEndpoint) throw new Error(`pods cannot reach moto: ${node.why ?? node.podAwsEndpointWhy ?? 'no relay'}`);
  return node.podAwsEndpoint;
}

/** What a pod spec needs to be placed on the real node: its label as nodeSelector and a toleration of its taint. */
export function realNodePlacement(): {
  nodeSelector: Record<string, string>;
  tolerations: { key: string; operator: 'Exists'; effect: 'NoSchedule' }[];
} {
  return {
    nodeSelector: { [REAL_NODE_LABEL.key]: REAL_NODE_LABEL.value },
    tolerations: [{ key: REAL_NODE_TAINT.key, operator: 'Exists', effect: REAL_NODE_TAINT.effect }],
  };
}

/**
 * The annotations that put every pod of a namespace on the real node without changing what mlp renders: the API
 * server's PodNodeSelector admission plugin adds the node selector, PodTolerationRestriction the toleration
 * (test/bench/kube.sh enables both).
 */
export const REAL_NODE_NAMESPACE_ANNOTATIONS: Readonly<Record<string, string>> = {
  'scheduler.alpha.kubernetes.io/node-selector': `${REAL_NODE_LABEL.key}=${REAL_NODE_LABEL.value}`,
  'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([
    { key: REAL_NODE_TAINT.key, operator: 'Exists', effect: REAL_NODE_TAINT.effect },
  ]),
};

/**
 * Creates namespace `name` whose pods all run on the real node (see REAL_NODE_NAMESPACE_ANNOTATIONS); mlp deploy
 * then applies into it as into any namespace that exists.
 */
export async function createRealNodeNamespace(kubeConfig: import('@kubernetes/client-node').KubeConfig, name: string): Promise<void> {
  const k8s = await import('@kubernetes/client-node');
  await kubeConfig.makeApiClient(k8s.CoreV1Api).createNamespace({
    body: { metadata: { name, annotations: { ...REAL_NODE_NAMESPACE_ANNOTATIONS } } },
  });
}
