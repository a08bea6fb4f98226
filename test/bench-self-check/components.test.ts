/**
 * Bench self-check: the real-component test bench itself (test/bench/*.sh) answers: the Docker engine, the
 * registry, and an image built FROM the bench base image that runs and pushes. These test the bench, not mlp;
 * the summary reporter counts them apart from mlp's tests (test/support/summary-reporter.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { benchStatus, describeWithBench } from '../support/bench.js';

const exec = promisify(execFile);

describeWithBench(['docker'], 'bench self-check: Docker engine', () => {
  it('answers docker info', async () => {
    const { stdout } = await exec('docker', ['info', '--format', '{{.ServerVersion}}']);
    expect(stdout.trim()).not.toBe('');
  });
});

describeWithBench(['registry'], 'bench self-check: registry', () => {
  it('answers GET /v2/ with 200', async () => {
    const res = await fetch(`http://${benchStatus().registry.url}/v2/`);
    expect(res.status).toBe(200);
  });
});

// One tiny image built FROM the bench base image, shared by the run and push suites.
const tag = `t${process.pid}-${Date.now()}`;
const localImage = `mlp-bench-test/hello:${tag}`;
let built: Promise<string> | undefined;
let buildDir: string | undefined;

function buildHello(): Promise<string> {
  built ??= (async () => {
    buildDir = await mkdtemp(join(tmpdir(), 'mlp-bench-build-'));
    await writeFile(
      join(buildDir, 'Dockerfile'),
      [
        'ARG BASE_IMAGE',
        'FROM ${BASE_IMAGE}',
        "RUN node -e \"require('node:fs').writeFileSync('/hello.txt', 'ok')\"",
        'CMD ["node", "--version"]',
        '',
      ].join('\n'),
    );
    // --network none: the build must work with no network at all.
    await exec(
      'docker',
      ['build', '--network', 'none', '-q', '--build-arg', `BASE_IMAGE=${benchStatus().baseImage.image}`, '-t', localImage, buildDir],
      {
        env: { ...process.env, DOCKER_CLI_HINTS: 'false' },
      },
    );
    return localImage;
  })();
  return built;
}

afterAll(async () => {
  if (built) {
    const refs = [localImage];
    const registry = benchStatus().registry.url;
    if (registry) refs.push(`${registry}/${localImage}`);
    await exec('docker', ['image', 'rm', '-f', ...refs]).catch(() => undefined);
  }
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

describeWithBench(['docker', 'baseImage'], 'bench self-check: image built FROM the bench base image', () => {
  it('runs on the engine and prints the Node version', async () => {
    const image = await buildHello();
    const { stdout } = await exec('docker', ['run', '--rm', '--network', 'none', image]);
    expect(stdout.trim()).toMatch(/^v20\.\d+\.\d+$/);
  });
});

describeWithBench(['docker', 'baseImage', 'registry'], 'bench self-check: pushing to the bench registry', () => {
  it('makes GET /v2/<name>/manifests/<tag> answer 200', async () => {
    const registry = benchStatus().registry.url;
    const remote = `${registry}/${await buildHello()}`;
    await exec('docker', ['tag', localImage, remote]);
    await exec('docker', ['push', '-q', remote]);
    const res = await fetch(`http://${registry}/v2/mlp-bench-test/hello/manifests/${tag}`, {
      headers: {
        accept: [
          'application/vnd.docker.distribution.manifest.v2+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.oci.image.index.v1+json',
        ].join(', '),
      },
    });
    expect(res.status).toBe(200);
  });
});
