/**
 * A project that `mlp deploy --target eks` deploys to the bench's control plane (through cluster.context in the
 * bench kubeconfig) without building anything: the build record says the image was pushed, so deploy renders and
 * applies that image@digest. kwok runs the pods, so the image is never pulled.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { kubeconfigPath } from './bench.js';

/** Every stage but render and deploy: the image is "pushed" already (see writePushedBuild). */
export const SKIP_TO_DEPLOY = ['--skip-train', '--skip-build', '--skip-push', '--skip-test'];

/** The machine's CA bundle settings (a TLS-intercepting proxy's): builds and pip installs reach their registries through them. */
const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'PIP_CERT'] as const;

/** What mlp runs with: the bench kubeconfig, plain output, and the machine's CA bundle when it has one. */
export function clusterEnv(): Record<string, string> {
  const ca = Object.fromEntries(CA_VARIABLES.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', CI: 'true', KUBECONFIG: kubeconfigPath(), ...ca };
}

/** mlp.yaml of a project with one service, api, in `namespace` of the bench cluster. */
export function clusterProject(
  name: string,
  kubeConfig: KubeConfig,
  namespace: string,
  serviceLines: string[] = [],
  options: { replicas?: number; timeoutSeconds?: number } = {},
): string {
  return [
    'apiVersion: mlp/v1',
    `name: ${name}`,
    'cluster:',
    '  name: bench',
    `  context: ${kubeConfig.getCurrentContext()}`,
    `  namespace: ${namespace}`,
    'deploy:',
    '  target: eks',
    `  timeoutSeconds: ${options.timeoutSeconds ?? 90}`,
    'services:',
    '  - name: api',
    '    model: { source: dir, path: model }',
    `    replicas: ${options.replicas ?? 2}`,
    '    autoscaling: { enabled: false }',
    ...serviceLines,
  ].join('\n');
}

/** The build record `mlp push` writes for service api: what deploy runs is its pushed `reference` (image@digest). */
export function writePushedBuild(projectDir: string, reference: string): void {
  mkdirSync(path.join(projectDir, '.mlp', 'builds'), { recursive: true });
  const [repository, digest] = reference.split('@') as [string, string];
  const now = new Date().toISOString();
  writeFileSync(
    path.join(projectDir, '.mlp', 'builds', 'api.json'),
    JSON.stringify({
      service: 'api',
      repository: 'x/api',
      contentHash: '0'.repeat(64),
      tags: ['0'.repeat(16)],
      imageId: 'sha256:0',
      platform: 'linux/amd64',
      builtAt: now,
      files: [],
      args: {},
      pushed: { repository, tags: [], digest, reference, pushedAt: now },
    }),
  );
}

/** A made-up digest for image references kwok never pulls. */
export function fakeDigest(n: number): string {
  return `sha256:${String(n).repeat(64).slice(0, 64)}`;
}
