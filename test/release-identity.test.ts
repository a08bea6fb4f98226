/**
 * Both deploy targets decide "changed" from the same release identity (the image and the hash of the configuration
 * the service runs with): a changed env or resource is applied and reported, an unchanged service is left alone.
 * The local target on the real Docker engine, the eks target on the bench's control plane.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench, kubeconfigPath } from './support/bench.js';
import { clusterEnv, clusterProject, fakeDigest, SKIP_TO_DEPLOY, writePushedBuild } from './support/cluster-project.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE_MODEL = path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model');
const TIMEOUT_MS = 10 * 60_000;
const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', CI: 'true' });
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

/** A profile `variant` that adds env to the service, as a user trying a change would write it. */
const variantProfile = (value: string): string =>
  `profiles:\n  - name: variant\n    services:\n      - name: api\n        env: { VARIANT: ${value} }\n`;

describeWithBench(['docker', 'baseImage', 'buildx'], 'the local target applies a changed configuration', () => {
  let work: string;
  let project: string;
  let name: string;
  let port: number;
  const container = (): string => `mlp-${name}-api`;
  const writeConfig = (serviceLines: string, profiles = ''): void =>
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      `apiVersion: mlp/v1\nname: ${name}\nbuild:\n  baseImage: ${benchStatus().baseImage.image}\ndeploy:\n  target: local\n  timeoutSeconds: 60\nservices:\n  - name: api\n    model: { source: dir, path: model }\n    port: ${port}\n${serviceLines}${profiles}`,
    );
  const mlp = (...args: string[]) => spawnMlp(args, { cwd: project, env: baseEnv() });
  const containerEnv = (): string[] =>
    JSON.parse(docker('container', 'inspect', '--format', '{{json .Config.Env}}', container())) as string[];

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-release-'));
    name = `r${Date.now().toString(36)}`;
    port = 20_000 + Math.floor(Math.random() * 20_000);
    project = path.join(work, name);
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writeConfig('', variantProfile('a'));
  });

  afterAll(() => {
    for (const name of [container(), `${container()}-previous`]) execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'a profile that adds env replaces the container, and the container runs with it',
    async () => {
      const first = await mlp('deploy', '--skip-test');
      expect(first.code, first.stderr).toBe(0);
      expect(containerEnv()).not.toContain('VARIANT=a');
      const before = docker('container', 'inspect', '--format', '{{.Id}}', container());

      const changed = await mlp('deploy', '--skip-train', '--skip-test', '--profile', 'variant');
      expect(changed.code, changed.stderr).toBe(0);
      expect(changed.stderr).toContain('the configuration changed');
      expect(changed.stderr).toContain(`api: started ${container()}`);
      expect(containerEnv()).toContain('VARIANT=a');
      expect(docker('container', 'inspect', '--format', '{{.Id}}', container())).not.toBe(before);
    },
    TIMEOUT_MS,
  );

  it(
    'the same configuration again is left alone',
    async () => {
      const before = docker('container', 'inspect', '--format', '{{.Id}}', container());
      const again = await mlp('deploy', '--skip-train', '--skip-test', '--profile', 'variant');
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('unchanged');
      expect(docker('container', 'inspect', '--format', '{{.Id}}', container())).toBe(before);
    },
    TIMEOUT_MS,
  );

  it(
    'a changed resource limit is applied to the container',
    async () => {
      writeConfig('    resources:\n      limits: { cpu: 750m, memory: 384Mi }\n', variantProfile('a'));
      const run = await mlp('deploy', '--skip-train', '--skip-test', '--profile', 'variant');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`api: started ${container()}`);
      expect(docker('container', 'inspect', '--format', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', container())).toBe(
        `${384 * 1024 * 1024} 750000000`,
      );
    },
    TIMEOUT_MS,
  );
});

describeWithBench(['kube'], 'the eks target applies a changed configuration', () => {
  let work: string;
  let project: string;
  let namespace: string;
  let kubeConfig: KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');
  const mlp = (...args: string[]) => spawnMlp(args, { cwd: project, env: clusterEnv() });
  const writeConfig = (serviceLines: string[]): void =>
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      `${clusterProject('release', kubeConfig, namespace, serviceLines, { replicas: 1 })}\n${variantProfile('a')}`,
    );
  const replicaSets = async () =>
    (await kubeConfig.makeApiClient(k8s.AppsV1Api).listNamespacedReplicaSet({ namespace, labelSelector: 'mlp.dev/service=api' })).items;

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    work = mkdtempSync(path.join(tmpdir(), 'mlp-release-eks-'));
    namespace = `mlp-release-${Date.now().toString(36)}`;
    project = path.join(work, 'proj');
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writePushedBuild(project, `registry.local/release/api@${fakeDigest(1)}`);
    writeConfig([]);
  });

  afterAll(async () => {
    await kubeConfig
      ?.makeApiClient(k8s.CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'a profile that adds env rolls out a new revision; the same again changes nothing',
    async () => {
      const first = await mlp('deploy', ...SKIP_TO_DEPLOY);
      expect(first.code, first.stderr).toBe(0);
      expect(await replicaSets()).toHaveLength(1);

      const changed = await mlp('deploy', ...SKIP_TO_DEPLOY, '--profile', 'variant');
      expect(changed.code, changed.stderr).toBe(0);
      expect(changed.stderr).toContain(`Deployment/api in ${namespace} configured`);
      expect(await replicaSets()).toHaveLength(2);

      const again = await mlp('deploy', ...SKIP_TO_DEPLOY, '--profile', 'variant');
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`Deployment/api in ${namespace} unchanged`);
      expect(await replicaSets()).toHaveLength(2);
    },
    TIMEOUT_MS,
  );

  it(
    'a changed resource rolls out a new revision',
    async () => {
      // Raised, not lowered: a lower limit also lowers the namespace quota, which the old pod still counts against.
      writeConfig(['    resources:', '      limits: { cpu: 750m, memory: 768Mi }']);
      const run = await mlp('deploy', ...SKIP_TO_DEPLOY, '--profile', 'variant');
      expect(run.code, run.stderr).toBe(0);
      expect(await replicaSets()).toHaveLength(3);
    },
    TIMEOUT_MS,
  );
});
