/**
 * `mlp debug ecr` against moto's ECR. moto takes no real `docker push`, so the "pushed" image is a manifest put
 * with PutImage and the build record is written as `mlp push` writes it (writePushedBuild); the project's target is
 * local, so the checks look for the image that record names. Then each way a pull fails is made real — the digest
 * not in the repository, scan on push turned off, the repository deleted — and the check that names it fails.
 * On the eks target the image looked for is the one the live Deployment runs (created directly on the bench's
 * control plane; kwok never pulls it). The projects use a region no other suite uses.
 */
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  PutImageCommand,
  PutImageScanningConfigurationCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckRecord } from '../src/lib/debug/check.js';
import { describeWithBench, kubeconfigPath, motoChildEnv, motoEndpoint, motoEnv } from './support/bench.js';
import { clusterEnv, fakeDigest, writePushedBuild } from './support/cluster-project.js';
import { runMlp } from './support/run-mlp.js';
import { spawnMlp } from './support/spawn-mlp.js';

const REGION = 'ap-southeast-4';
const HOST = `123456789012.dkr.ecr.${REGION}.amazonaws.com`;

interface Report {
  ok: boolean;
  topic: string;
  checks: CheckRecord[];
  error?: { kind: string; exitCode: number; hint?: string };
}

const byCheck = (report: Report, check: string): CheckRecord => {
  const found = report.checks.find((record) => record.check === check);
  if (!found) throw new Error(`no ${check} record in ${JSON.stringify(report.checks)}`);
  return found;
};

describe('mlp debug ecr with another registry', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlp-debug-ecr-generic-'));
    writeFileSync(
      path.join(dir, 'mlp.yaml'),
      'apiVersion: mlp/v1\nname: plain\nregistry: { type: generic, url: 127.0.0.1:5000 }\nservices:\n  - name: api\n    model: { source: dir, path: model }\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one skip record naming the registry and exits 0, without calling AWS', async () => {
    const run = await runMlp(['debug', 'ecr'], { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      'skip registry 127.0.0.1:5000 is type generic, not ECR: these checks apply to registry.type ecr\n\nall 1 checks passed\n',
    );
  });
});

describeWithBench(['moto'], 'mlp debug ecr', () => {
  const name = `dbgecr${Date.now().toString(36)}`;
  const repository = `${name}/api`;
  let dir: string;
  let digest: string;
  const client = () =>
    new ECRClient({
      region: REGION,
      endpoint: motoEndpoint(),
      credentials: { accessKeyId: motoEnv().AWS_ACCESS_KEY_ID!, secretAccessKey: motoEnv().AWS_SECRET_ACCESS_KEY! },
    });
  const send = async <T>(run: (ecr: ECRClient) => Promise<T>): Promise<T> => {
    const ecr = client();
    try {
      return await run(ecr);
    } finally {
      ecr.destroy();
    }
  };
  const env = () => ({ ...motoChildEnv({ PATH: process.env.PATH, HOME: process.env.HOME }), AWS_REGION: REGION });
  const debug = async (...args: string[]) => {
    const run = await runMlp(['debug', 'ecr', ...args, '--json'], { cwd: dir, env: env() });
    return { ...run, report: JSON.parse(run.stdout) as Report };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mlp-debug-ecr-'));
    writeFileSync(
      path.join(dir, 'mlp.yaml'),
      [
        'apiVersion: mlp/v1',
        `name: ${name}`,
        'aws:',
        `  region: ${REGION}`,
        '  accountId: "123456789012"',
        'registry:',
        '  type: ecr',
        'services:',
        '  - name: api',
        '    model: { source: dir, path: model }',
      ].join('\n'),
    );
    await send((ecr) =>
      ecr.send(new CreateRepositoryCommand({ repositoryName: repository, imageScanningConfiguration: { scanOnPush: true } })),
    );
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 7, digest: fakeDigest(1) },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 9, digest: `sha256:${name.padEnd(64, '0')}` }],
    };
    const put = await send((ecr) =>
      ecr.send(new PutImageCommand({ repositoryName: repository, imageManifest: JSON.stringify(manifest), imageTag: '0'.repeat(16) })),
    );
    digest = put.image!.imageId!.imageDigest!;
    // moto scans only when asked; its scan answers with one made-up HIGH finding.
    await send((ecr) => ecr.send(new StartImageScanCommand({ repositoryName: repository, imageId: { imageDigest: digest } })));
    writePushedBuild(dir, `${HOST}/${repository}@${digest}`);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await send((ecr) => ecr.send(new DeleteRepositoryCommand({ repositoryName: repository, force: true }))).catch(() => undefined);
  });

  it('passes every check of a pushed image and never prints the token (exit 0)', async () => {
    const token = (await send((ecr) => ecr.send(new GetAuthorizationTokenCommand({})))).authorizationData![0]!.authorizationToken!;
    const run = await spawnMlp(['debug', 'ecr'], { cwd: dir, env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`ok   api: registry is ECR (${HOST})`);
    expect(run.stdout).toContain(`ok   api: repository ${repository} exists in ${REGION}`);
    expect(run.stdout).toContain(`ok   api: repository ${repository} scans images on push`);
    expect(run.stdout).toMatch(/ok {3}api: an authorization token is obtainable for \S+ \((expires|expired) \S+.*the token is not shown\)/);
    expect(run.stdout).toContain(`ok   api: repository ${repository} has ${digest} (last pushed, .mlp/builds/api.json)`);
    expect(run.stdout).toContain('deploy.target is local: looked for the image the last mlp push recorded instead');
    expect(run.stdout).toMatch(/ok {3}api: the image's scan found 1 finding: 1 HIGH/);
    expect(run.stdout).toContain('all 6 checks passed');
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    for (const secret of [token, decoded, decoded.slice(decoded.indexOf(':') + 1)]) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }
    const json = await debug('api');
    expect(json.exitCode).toBe(0);
    expect(json.report.checks.map((record) => [record.check, record.status])).toEqual([
      ['ecr.registry', 'pass'],
      ['ecr.repository', 'pass'],
      ['ecr.scan-on-push', 'pass'],
      ['ecr.token', 'pass'],
      ['ecr.image', 'pass'],
      ['ecr.scan-findings', 'pass'],
    ]);
    expect(json.stdout).not.toContain(token);
  });

  it('says "image not in the repository" for a digest the repository lacks (exit 43)', async () => {
    const missing = fakeDigest(7);
    writePushedBuild(dir, `${HOST}/${repository}@${missing}`);
    try {
      const { exitCode, report } = await debug();
      expect(exitCode).toBe(43);
      const image = byCheck(report, 'ecr.image');
      expect(image).toMatchObject({
        status: 'fail',
        saw: `image not in the repository: ${repository} has no ${missing} (last pushed, .mlp/builds/api.json)`,
      });
      expect(image.fix).toContain('mlp push --service api');
      expect(byCheck(report, 'ecr.repository').status).toBe('pass');
      expect(byCheck(report, 'ecr.scan-findings').status).toBe('skip');
    } finally {
      writePushedBuild(dir, `${HOST}/${repository}@${digest}`);
    }
  });

  it('names put-image-scanning-configuration when scan on push is off (exit 43)', async () => {
    const scanning = (scanOnPush: boolean) =>
      send((ecr) =>
        ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: repository, imageScanningConfiguration: { scanOnPush } })),
      );
    await scanning(false);
    try {
      const run = await runMlp(['debug', 'ecr'], { cwd: dir, env: env() });
      expect(run.exitCode).toBe(43);
      expect(run.stdout).toContain(`FAIL api: repository ${repository} does not scan images on push`);
      expect(run.stdout).toContain(
        `fix: aws ecr put-image-scanning-configuration --repository-name ${repository} --image-scanning-configuration scanOnPush=true --region ${REGION}`,
      );
      expect(run.stderr).toContain('mlp debug ecr: 1 of 6 checks failed.');
    } finally {
      await scanning(true);
    }
  });

  it('exits 5 with the credentials mapping when there are no AWS credentials at all', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'mlp-debug-ecr-home-'));
    try {
      const bare = { PATH: process.env.PATH, HOME: home, AWS_ENDPOINT_URL: motoEndpoint(), AWS_EC2_METADATA_DISABLED: 'true' };
      const run = await runMlp(['debug', 'ecr'], { cwd: dir, env: bare });
      expect(run.exitCode, run.stderr).toBe(5);
      expect(run.stderr).toContain('no usable AWS credentials were found');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  // Last: it deletes the repository.
  it('says "repository missing" once the repository is deleted, and mlp push as the fix (exit 43)', async () => {
    await send((ecr) => ecr.send(new DeleteRepositoryCommand({ repositoryName: repository, force: true })));
    const { exitCode, report } = await debug();
    expect(exitCode).toBe(43);
    expect(byCheck(report, 'ecr.repository')).toMatchObject({
      status: 'fail',
      saw: `repository missing: there is no ECR repository ${repository} in ${REGION}`,
    });
    expect(byCheck(report, 'ecr.repository').fix).toContain('mlp push --service api');
    expect(byCheck(report, 'ecr.image').status).toBe('skip');
    expect(byCheck(report, 'ecr.token').status).toBe('pass');
    expect(report).toMatchObject({ ok: false, error: { kind: 'checkFailed', exitCode: 43 } });
  });
});

describeWithBench(['moto', 'kube'], 'mlp debug ecr on the eks target', () => {
  const name = `dbgecrk${Date.now().toString(36)}`;
  const repository = `${name}/api`;
  const namespace = `mlp-dbgecr-${Date.now().toString(36)}`;
  let dir: string;
  let digest: string;
  let kubeConfig: import('@kubernetes/client-node').KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');
  const apps = () => kubeConfig.makeApiClient(k8s.AppsV1Api);
  const ecr = () =>
    new ECRClient({
      region: REGION,
      endpoint: motoEndpoint(),
      credentials: { accessKeyId: motoEnv().AWS_ACCESS_KEY_ID!, secretAccessKey: motoEnv().AWS_SECRET_ACCESS_KEY! },
    });
  const env = () => ({ ...motoChildEnv(clusterEnv()), AWS_REGION: REGION });
  const debug = async () => {
    const run = await runMlp(['debug', 'ecr', '--json'], { cwd: dir, env: env() });
    return { ...run, report: JSON.parse(run.stdout) as Report };
  };
  /** The Deployment mlp deploy would apply, reduced to what the check reads: the serving container's image. */
  const deploy = async (image: string) => {
    const body = {
      metadata: { name: 'api', namespace },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'serving', image }] } },
      },
    };
    await apps()
      .replaceNamespacedDeployment({ name: 'api', namespace, body })
      .catch(() => apps().createNamespacedDeployment({ namespace, body }));
  };

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    await kubeConfig.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    dir = mkdtempSync(path.join(tmpdir(), 'mlp-debug-ecr-eks-'));
    writeFileSync(
      path.join(dir, 'mlp.yaml'),
      [
        'apiVersion: mlp/v1',
        `name: ${name}`,
        'aws:',
        `  region: ${REGION}`,
        '  accountId: "123456789012"',
        'registry:',
        '  type: ecr',
        'cluster:',
        '  name: bench',
        `  context: ${kubeConfig.getCurrentContext()}`,
        `  namespace: ${namespace}`,
        'deploy:',
        '  target: eks',
        'services:',
        '  - name: api',
        '    model: { source: dir, path: model }',
      ].join('\n'),
    );
    const client = ecr();
    try {
      await client.send(new CreateRepositoryCommand({ repositoryName: repository, imageScanningConfiguration: { scanOnPush: true } }));
      const manifest = {
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 7, digest: fakeDigest(2) },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 9, digest: `sha256:${name.padEnd(64, '0')}` }],
      };
      const put = await client.send(
        new PutImageCommand({ repositoryName: repository, imageManifest: JSON.stringify(manifest), imageTag: '1'.repeat(16) }),
      );
      digest = put.image!.imageId!.imageDigest!;
    } finally {
      client.destroy();
    }
    writePushedBuild(dir, `${HOST}/${repository}@${digest}`);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await kubeConfig
      .makeApiClient(k8s.CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    const client = ecr();
    await client.send(new DeleteRepositoryCommand({ repositoryName: repository, force: true })).catch(() => undefined);
    client.destroy();
  });

  it('not deployed: looks for the last pushed image instead and says why; no scan yet is a skip (exit 0)', async () => {
    const { exitCode, report, stderr } = await debug();
    expect(exitCode, stderr).toBe(0);
    const image = byCheck(report, 'ecr.image');
    expect(image).toMatchObject({
      status: 'pass',
      details: [`no Deployment api in namespace ${namespace}: looked for the image the last mlp push recorded instead`],
    });
    expect(byCheck(report, 'ecr.scan-findings')).toMatchObject({ status: 'skip', saw: 'ECR has no scan of this image (yet)' });
  });

  it('checks the image the live Deployment runs, not the build record (exit 0, then 43)', async () => {
    await deploy(`${HOST}/${repository}@${digest}`);
    const healthy = await debug();
    expect(healthy.exitCode, healthy.stderr).toBe(0);
    expect(byCheck(healthy.report, 'ecr.image').saw).toContain(`has ${digest} (Deployment api in namespace ${namespace})`);
    const gone = fakeDigest(9);
    await deploy(`${HOST}/${repository}@${gone}`);
    const broken = await debug();
    expect(broken.exitCode).toBe(43);
    expect(byCheck(broken.report, 'ecr.image')).toMatchObject({
      status: 'fail',
      saw: `image not in the repository: ${repository} has no ${gone} (Deployment api in namespace ${namespace})`,
    });
  });
});
