/**
 * A SageMaker-backed service on the local target, on the real engine against moto: the container gets a short-lived
 * STS session (never the keys mlp runs with) through an env file, calls the endpoint with it, and passes its smoke
 * test. The container reaches moto through a recording relay on the Docker bridge's gateway, which also says which
 * keys each call was signed with.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench, motoChildEnv, motoEndpoint, motoEnv } from './support/bench.js';
import { queueInvokeResults } from './support/moto-sagemaker.js';
import { startRecordingProxy, type RecordingProxy } from './support/recording-proxy.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_MS = 10 * 60_000;
// Its own region: moto's queue of InvokeEndpoint results is one per region, and other files queue in theirs.
const REGION = 'ap-southeast-2';
const FEATURES = [42.5, 14, 2, 0.21, 8.3, 3.1, 5400, 0, 3, 45.2, 0.94, 1200, 1, 0, 0, 0, 0, 41, 0, 0.12];

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

/**
 * The host's address on the default bridge (docker0), where containers reach the host. From `ip`: Node lists no
 * address for docker0 while no container is attached (the link is down then).
 */
function bridgeGateway(): string {
  const address = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(
    execFileSync('ip', ['-4', '-o', 'addr', 'show', 'docker0'], { encoding: 'utf8' }),
  )?.[1];
  if (!address) throw new Error('no IPv4 address on docker0: the default bridge network is missing');
  return address;
}

const queuePredictions = (scores: number[]) =>
  queueInvokeResults(
    REGION,
    scores.map((score) => `${score}\n`),
    'text/csv',
  );

describeWithBench(['docker', 'baseImage', 'buildx', 'moto'], 'a SageMaker-backed service on the local target', () => {
  let work: string;
  let project: string;
  let name: string;
  let relay: RecordingProxy;
  const container = () => `mlp-${name}-fraud`;
  const env = () => ({ ...motoChildEnv(), AWS_REGION: REGION, CI: 'true' });

  beforeAll(async () => {
    relay = await startRecordingProxy(motoEndpoint(), { host: bridgeGateway() });
    work = mkdtempSync(path.join(tmpdir(), 'mlp-local-sagemaker-'));
    name = `ls${Date.now().toString(36)}`;
    project = path.join(work, name);
    mkdirSync(project);
    copyFileSync(path.join(ROOT, 'examples', 'platform', 'models', 'fraud.json'), path.join(project, 'fraud.json'));
    port = 20_000 + Math.floor(Math.random() * 20_000);
    writeConfig();
  });

  let port = 0;
  const writeConfig = (extraEnv = '') =>
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      [
        'apiVersion: mlp/v1',
        `name: ${name}`,
        `aws: { region: ${REGION} }`,
        `build: { baseImage: ${benchStatus().baseImage.image} }`,
        'deploy: { target: local, timeoutSeconds: 60 }',
        'services:',
        '  - name: fraud',
        `    model: { source: sagemaker, endpoint: ${name}-fraud, contentType: text/csv, metadata: fraud.json }`,
        `    port: ${port}`,
        // The container's way to moto; on AWS nothing is set and the SDK finds the regional endpoint.
        `    env: { AWS_ENDPOINT_URL: "${relay.endpoint}"${extraEnv} }`,
        '    smoke:',
        '      - { name: predict, method: POST, path: /predict, body: { features: [' + FEATURES.join(', ') + '] } }',
      ].join('\n') + '\n',
    );

  afterAll(async () => {
    for (const name of [container(), `${container()}-previous`]) execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    await relay?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(
    'runs it with a short-lived STS session from an env file, and it calls the endpoint with that session',
    async () => {
      await queuePredictions([0.03, 0.91]); // the warm-up row of zeros, then the smoke body
      const run = await spawnMlp(['deploy', '--skip-train'], { cwd: project, env: env() });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/fraud: AWS credentials for the container: an STS session, until \d{4}-\d\d-\d\dT/);
      expect(run.stderr).toContain('fraud: smoke test predict: POST /predict → 200');

      const containerEnv = JSON.parse(docker('container', 'inspect', '--format', '{{json .Config.Env}}', container())) as string[];
      const value = (key: string) => containerEnv.find((entry) => entry.startsWith(`${key}=`))?.slice(key.length + 1);
      expect(value('SAGEMAKER_ENDPOINT')).toBe(`${name}-fraud`);
      expect(value('AWS_REGION')).toBe(REGION);
      expect(value('AWS_SESSION_TOKEN')).toBeTruthy();
      expect(value('AWS_ACCESS_KEY_ID')).not.toBe(motoEnv().AWS_ACCESS_KEY_ID);
      const label = docker('container', 'inspect', '--format', '{{index .Config.Labels "dev.mlp.aws-credentials-expire"}}', container());
      expect(Date.parse(label) - Date.now()).toBeGreaterThan(11 * 3600_000);

      // Every call from the container to the endpoint was signed with the session, none with mlp's own keys.
      const invocations = relay.requests.filter((request) => request.path.endsWith('/invocations'));
      expect(invocations.length).toBeGreaterThanOrEqual(2);
      for (const call of invocations)
        expect(call).toMatchObject({ accessKeyId: value('AWS_ACCESS_KEY_ID'), sessionToken: true, status: 200 });
      // mlp printed no key.
      for (const secret of [value('AWS_SECRET_ACCESS_KEY')!, value('AWS_SESSION_TOKEN')!])
        expect(`${run.stdout}${run.stderr}`).not.toContain(secret);

      // Unchanged and with hours left on its session: left alone.
      const again = await spawnMlp(['deploy', '--skip-train', '--skip-test'], { cwd: project, env: env() });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`fraud: ${container()} already runs`);
    },
    TIMEOUT_MS,
  );

  it(
    'without AWS credentials it refuses before it stops the running container',
    async () => {
      const before = docker('container', 'inspect', '--format', '{{.Id}}', container());
      const bare = Object.fromEntries(
        Object.entries(env()).filter(([key]) => !key.startsWith('AWS_SECRET') && !key.startsWith('AWS_ACCESS')),
      );
      // A configuration change, so the deploy has to replace the container.
      writeConfig(', LOG_LEVEL: warn');
      const run = await spawnMlp(['deploy', '--skip-train', '--skip-test'], {
        cwd: project,
        env: { ...bare, AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'none'), AWS_CONFIG_FILE: path.join(work, 'none') },
      });
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('No AWS credentials to give the SageMaker-backed services on this machine.');
      expect(docker('container', 'inspect', '--format', '{{.Id}} {{.State.Running}}', container())).toBe(`${before} true`);
    },
    TIMEOUT_MS,
  );
});
