/**
 * mlp inside a GitHub Actions run (GITHUB_ACTIONS=true), with temporary files for GITHUB_STEP_SUMMARY and
 * GITHUB_OUTPUT: a config error is an error annotation on mlp.yaml's line and column; a deploy on the local target
 * groups each stage with its duration, warns about a rebuild, writes the step summary and sets the outputs; a failed
 * smoke test is an error annotation with the cause and the fix, and its rollback is in the summary and the outputs.
 * No secret mlp handles appears anywhere but in the mask command that hides it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { benchStatus, describeWithBench, kubeconfigPath } from './support/bench.js';
import { clusterEnv, clusterProject, fakeDigest, SKIP_TO_DEPLOY, writePushedBuild } from './support/cluster-project.js';
import { runMlp } from './support/run-mlp.js';
import { spawnMlp } from './support/spawn-mlp.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE_MODEL = path.join(ROOT, 'serving', 'test', 'fixtures', 'fraud-model');
const TIMEOUT_MS = 10 * 60_000;
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SERVICE_TOKEN = 'svc-token-7f3a9c2e';

interface WorkflowFiles {
  summary: string;
  output: string;
}

function workflowEnv(workspace: string, files: WorkflowFiles): Record<string, string> {
  writeFileSync(files.summary, '');
  writeFileSync(files.output, '');
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_OUTPUT: files.output,
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
  };
}

/** GITHUB_OUTPUT's `name<<delimiter` blocks as name → value. */
function readOutputs(file: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([\w-]+)<<(ghadelimiter_[0-9a-f-]{36})$/.exec(lines[i]!);
    if (!match) continue;
    const end = lines.indexOf(match[2]!, i + 1);
    outputs[match[1]!] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return outputs;
}

/** Every secret occurs only in the `::add-mask::` line that hides it, and nowhere in the files. */
function expectNoSecret(texts: readonly string[], secrets: readonly string[] = [AWS_SECRET, SERVICE_TOKEN]): void {
  for (const secret of secrets)
    for (const text of texts) {
      const lines = text.split('\n').filter((line) => line.includes(secret));
      for (const line of lines) expect(line).toBe(`::add-mask::${secret}`);
    }
}

describe('a config error in a GitHub Actions run', () => {
  let work: string;
  let files: WorkflowFiles;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-gha-config-'));
    files = { summary: path.join(work, 'summary.md'), output: path.join(work, 'output.txt') };
    mkdirSync(path.join(work, 'services', 'fraud'), { recursive: true });
    writeFileSync(
      path.join(work, 'services', 'fraud', 'mlp.yaml'),
      [
        'apiVersion: mlp/v1',
        'name: fraud',
        'deploy:',
        '  target: local',
        '  timeoutSeconds: -1',
        'services:',
        '  - name: fraud',
        '    model: { source: dir, path: model }',
        '    port: 99999',
        '',
      ].join('\n'),
    );
    return () => rmSync(work, { recursive: true, force: true });
  });

  it('is an error annotation on mlp.yaml at each problem’s line and column, with stdout left to --json', async () => {
    const run = await runMlp(['deploy', '-C', 'services/fraud', '--json'], { cwd: work, env: workflowEnv(work, files) });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toBe(
      [
        `::add-mask::${AWS_SECRET}`,
        'error: mlp.yaml has 2 problems',
        `  ${path.join(work, 'services', 'fraud', 'mlp.yaml')}:5:19: deploy.timeoutSeconds must be >= 1, got number -1`,
        `  ${path.join(work, 'services', 'fraud', 'mlp.yaml')}:9:11: services[0].port must be <= 65535, got number 99999`,
        '::error title=mlp exit 3%3A invalid mlp.yaml,file=services/fraud/mlp.yaml,line=5,col=19::deploy.timeoutSeconds must be >= 1, got number -1',
        '::error title=mlp exit 3%3A invalid mlp.yaml,file=services/fraud/mlp.yaml,line=9,col=11::services[0].port must be <= 65535, got number 99999',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { kind: 'config', exitCode: 3 } });
    expect(readFileSync(files.summary, 'utf8')).toBe(
      [
        '<h2>mlp: ❌ mlp.yaml has 2 problems</h2>',
        '<table><tr><th>Where</th><th>Field</th><th>Problem</th></tr>' +
          '<tr><td><code>services/fraud/mlp.yaml:5:19</code></td><td><code>deploy.timeoutSeconds</code></td><td>must be &gt;= 1, got number -1</td></tr>' +
          '<tr><td><code>services/fraud/mlp.yaml:9:11</code></td><td><code>services[0].port</code></td><td>must be &lt;= 65535, got number 99999</td></tr></table>',
        '',
      ].join('\n'),
    );
    expect(readFileSync(files.output, 'utf8')).toBe('');
    expectNoSecret([run.stdout, readFileSync(files.summary, 'utf8')]);
  });

  it('is plain text without GITHUB_ACTIONS: no workflow command at all', async () => {
    const { GITHUB_ACTIONS: _, ...env } = workflowEnv(work, files);
    const run = await runMlp(['deploy', '-C', 'services/fraud'], { cwd: work, env });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).not.toContain('::');
    expect(readFileSync(files.summary, 'utf8')).toBe('');
  });
});

/** What varies from run to run: durations, latencies, content hashes, image ids, the engine and builder. */
function normalize(text: string): string {
  return text
    .replace(/\d+\.\d s\b/g, 'N s')
    .replace(/\b\d+ ms\b/g, 'N ms')
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<id>')
    .replace(/:[0-9a-f]{16}\b/g, ':<hash>')
    .replace(/\(([0-9a-f]{12})\)/g, '(<short id>)')
    .replace(/"probability":[\d.e-]+/g, '"probability":<p>')
    .replace(/"inference_time_ms":[\d.]+/g, '"inference_time_ms":<ms>')
    .replace(/"timestamp":"[^"]+"/g, '"timestamp":"<time>"')
    .replace(/\(from the local Docker engine \([^)]*\)\)/, '(from the local Docker engine (<version>))')
    .replace(/with docker buildx|with docker build \(BuildKit; no buildx plugin\)/, 'with <builder>');
}

describeWithBench(['docker', 'baseImage', 'buildx'], 'mlp deploy --target local in a GitHub Actions run', () => {
  let work: string;
  let project: string;
  let name: string;
  let port: number;
  const files = (): WorkflowFiles => ({ summary: path.join(work, 'summary.md'), output: path.join(work, 'output.txt') });
  const writeConfig = (expectStatus: number, token: string): void =>
    writeFileSync(
      path.join(project, 'mlp.yaml'),
      [
        'apiVersion: mlp/v1',
        `name: ${name}`,
        'build:',
        `  baseImage: ${benchStatus().baseImage.image}`,
        'deploy:',
        '  target: local',
        '  timeoutSeconds: 60',
        'services:',
        '  - name: api',
        '    model: { source: dir, path: model }',
        `    port: ${port}`,
        '    env:',
        `      API_TOKEN: ${token}`,
        '    smoke:',
        '      - name: predict',
        '        method: POST',
        '        path: /predict',
        `        body: { features: [${Array.from({ length: 20 }, () => '0.5').join(', ')}], request_id: smoke }`,
        `        expectStatus: ${expectStatus}`,
        '',
      ].join('\n'),
    );

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-gha-'));
    name = `g${Date.now().toString(36)}`;
    port = 20_000 + Math.floor(Math.random() * 20_000);
    project = path.join(work, name);
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writeFileSync(path.join(project, 'model', 'metrics.json'), JSON.stringify({ accuracy: 0.9531, roc_auc: 0.98765, rows: 5000 }));
  });

  afterAll(() => {
    for (const container of [`mlp-${name}-api`, `mlp-${name}-api-previous`])
      execFileSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
    execFileSync('docker', ['image', 'ls', '-q', `${name}/api`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .forEach((id) => execFileSync('docker', ['image', 'rm', '-f', id], { stdio: 'ignore' }));
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'groups each stage with its duration, warns about the rebuild, writes the summary and sets the outputs',
    async () => {
      writeConfig(200, SERVICE_TOKEN);
      const run = await spawnMlp(['deploy'], { cwd: project, env: workflowEnv(work, files()) });
      expect(run.code, run.stderr).toBe(0);
      expect(normalize(run.stderr)).toBe(
        [
          `::add-mask::${AWS_SECRET}`,
          `::add-mask::${SERVICE_TOKEN}`,
          'train: skipped (mlp.yaml has no training section)',
          '::group::build',
          'images for linux/amd64 (from the local Docker engine (<version>))',
          `api: building ${name}/api:<hash> for linux/amd64 with <builder> (no earlier build of this service)`,
          `api: built ${name}/api:<hash> (<short id>) in N s`,
          `::warning title=mlp%3A image rebuilt::api: rebuilt ${name}/api:<hash> (no earlier build of this service)`,
          '::endgroup::',
          'build: done in N s',
          'push: skipped (the local target runs images from the local engine)',
          'render: skipped (the local target runs containers, not manifests)',
          '::group::deploy',
          `api: started mlp-${name}-api from ${name}/api:<hash> on http://127.0.0.1:${port}; waiting for /ready`,
          `api: ready on http://127.0.0.1:${port}`,
          '::endgroup::',
          'deploy: done in N s',
          '::group::test',
          'api: smoke test predict: POST /predict → 200 in N ms',
          '::endgroup::',
          'test: done in N s',
          '',
        ].join('\n'),
      );
      expect(run.stdout).toBe(`api: try the model at http://127.0.0.1:${port}/\n`);

      const summary = readFileSync(files().summary, 'utf8');
      expect(normalize(summary)).toBe(
        [
          `<h2>mlp deploy ${name}: ✅ deployed</h2>`,
          '<p>target local (the runner’s Docker engine) · rollout N s</p>',
          '<table><tr><th>Stage</th><th>Result</th><th>Time</th></tr>' +
            '<tr><td>train</td><td>skipped: mlp.yaml has no training section</td><td>—</td></tr>' +
            '<tr><td>build</td><td>✅ done</td><td>N s</td></tr>' +
            '<tr><td>push</td><td>skipped: the local target runs images from the local engine</td><td>—</td></tr>' +
            '<tr><td>render</td><td>skipped: the local target runs containers, not manifests</td><td>—</td></tr>' +
            '<tr><td>deploy</td><td>✅ done</td><td>N s</td></tr>' +
            '<tr><td>test</td><td>✅ done</td><td>N s</td></tr></table>',
          '<h3>api</h3>',
          '<table>' +
            `<tr><th>Image</th><td><code>${name}/api:<hash></code></td></tr>` +
            '<tr><th>Digest</th><td><code>sha256:<id></code></td></tr>' +
            '<tr><th>Model version</th><td><code>model</code></td></tr>' +
            '<tr><th>Metrics</th><td>accuracy 0.953 · roc_auc 0.988 · rows 5000</td></tr>' +
            '<tr><th>Replicas ready</th><td>1/1</td></tr>' +
            '<tr><th>Rollout</th><td>N s</td></tr>' +
            `<tr><th>Endpoint</th><td>http://127.0.0.1:${port}</td></tr>` +
            '</table>',
          '<table><tr><th>Smoke test</th><th>Request</th><th>Status</th><th>Latency</th></tr>' +
            '<tr><td>predict</td><td><code>POST /predict</code></td><td>✅ 200</td><td>N ms</td></tr></table>',
          '',
        ].join('\n'),
      );

      const record = JSON.parse(readFileSync(path.join(project, '.mlp', 'builds', 'api.json'), 'utf8')) as {
        tags: string[];
        imageId: string;
      };
      const image = `${name}/api:${record.tags[0]}`;
      const url = `http://127.0.0.1:${port}`;
      expect(readOutputs(files().output)).toEqual({
        image,
        digest: record.imageId,
        'model-version': 'model',
        url,
        'image-api': image,
        'digest-api': record.imageId,
        'model-version-api': 'model',
        'url-api': url,
        'rolled-back': 'false',
        services: JSON.stringify([{ service: 'api', image, digest: record.imageId, modelVersion: 'model', url, rolledBack: false }]),
      });
      expectNoSecret([run.stderr, run.stdout, summary, readFileSync(files().output, 'utf8')]);
    },
    TIMEOUT_MS,
  );

  it(
    'annotates a failed smoke test with the cause and the fix, and reports the rollback in the summary and outputs',
    async () => {
      // A new token is a new release (the container is replaced); the smoke test now expects what the model never answers.
      writeConfig(201, `${SERVICE_TOKEN}-2`);
      const run = await spawnMlp(['deploy', '--skip-build'], { cwd: project, env: workflowEnv(work, files()) });
      expect(run.code, run.stderr).toBe(40);
      const body =
        '{"prediction":1,"probability":<p>,"predictions":[1],"model_name":"fraud","model_version":"20240601T000000Z","inference_time_ms":<ms>,"timestamp":"<time>","request_id":"smoke"}';
      const hint = "check the request in services[].smoke and the service's logs (docker logs)";
      expect(normalize(run.stderr)).toBe(
        [
          `::add-mask::${AWS_SECRET}`,
          `::add-mask::${SERVICE_TOKEN}-2`,
          'train: skipped (mlp.yaml has no training section)',
          'build: skipped (--skip-build)',
          'push: skipped (the local target runs images from the local engine)',
          'render: skipped (the local target runs containers, not manifests)',
          '::group::deploy',
          `api: the configuration changed; replacing mlp-${name}-api`,
          `api: started mlp-${name}-api from ${name}/api:<hash> on http://127.0.0.1:${port}; waiting for /ready`,
          `api: ready on http://127.0.0.1:${port}`,
          '::endgroup::',
          'deploy: done in N s',
          '::group::test',
          `::warning::mlp-${name}-api: rolled back to the previous container, which is ready again`,
          '::endgroup::',
          'test: failed after N s',
          'error: Smoke test predict (POST /predict) answered 200, expected 201.',
          `  ${body}`,
          `hint: ${hint}`,
          `::error title=mlp exit 40%3A The smoke test against the deployed service failed::Smoke test predict (POST /predict) answered 200, expected 201.%0A${body}%0AFix: ${hint}`,
          '',
        ].join('\n'),
      );
      const summary = readFileSync(files().summary, 'utf8');
      expect(normalize(summary)).toBe(
        [
          `<h2>mlp deploy ${name}: ❌ failed in the test stage (exit 40, smokeTest)</h2>`,
          '<p>target local (the runner’s Docker engine) · rollout N s</p>',
          '<table><tr><th>Stage</th><th>Result</th><th>Time</th></tr>' +
            '<tr><td>train</td><td>skipped: mlp.yaml has no training section</td><td>—</td></tr>' +
            '<tr><td>build</td><td>skipped: --skip-build</td><td>—</td></tr>' +
            '<tr><td>push</td><td>skipped: the local target runs images from the local engine</td><td>—</td></tr>' +
            '<tr><td>render</td><td>skipped: the local target runs containers, not manifests</td><td>—</td></tr>' +
            '<tr><td>deploy</td><td>✅ done</td><td>N s</td></tr>' +
            '<tr><td>test</td><td>❌ failed</td><td>N s</td></tr></table>',
          '<h3>api</h3>',
          '<table>' +
            `<tr><th>Image</th><td><code>${name}/api:<hash></code></td></tr>` +
            '<tr><th>Digest</th><td><code>sha256:<id></code></td></tr>' +
            '<tr><th>Model version</th><td><code>model</code></td></tr>' +
            '<tr><th>Metrics</th><td>accuracy 0.953 · roc_auc 0.988 · rows 5000</td></tr>' +
            '<tr><th>Replicas ready</th><td>1/1</td></tr>' +
            '<tr><th>Rollout</th><td>N s</td></tr>' +
            `<tr><th>Endpoint</th><td>http://127.0.0.1:${port}</td></tr>` +
            '<tr><th>Rolled back</th><td>↩️ to the previous container (<short id>)</td></tr>' +
            '</table>',
          '<h3>What failed</h3>',
          `<pre><code>Smoke test predict (POST /predict) answered 200, expected 201.\n${body}</code></pre>`,
          `<p><strong>Fix:</strong> ${hint}</p>`,
          '',
        ].join('\n'),
      );
      expect(readOutputs(files().output)['rolled-back']).toBe('true');
      expect(JSON.parse(readOutputs(files().output).services!)).toMatchObject([{ service: 'api', rolledBack: true }]);
      expectNoSecret([run.stderr, run.stdout, summary, readFileSync(files().output, 'utf8')], [AWS_SECRET, `${SERVICE_TOKEN}-2`]);
    },
    TIMEOUT_MS,
  );

  it(
    'writes the step summary of mlp status and mlp debug too',
    async () => {
      const status = await spawnMlp(['status'], { cwd: project, env: workflowEnv(work, files()) });
      expect(status.code, status.stderr).toBe(0);
      expect(normalize(readFileSync(files().summary, 'utf8'))).toBe(
        '<h2>mlp status: ✅ healthy</h2>\n' +
          '<table><tr><th>Service</th><th>Health</th><th>Image</th><th>Model version</th><th>Replicas</th><th>Rollout</th><th>Endpoint</th></tr>' +
          `<tr><td>api</td><td>✅ healthy</td><td><code>${name}/api:<hash></code></td><td><code>model</code></td><td>running</td><td>—</td>` +
          `<td>http://127.0.0.1:${port}</td></tr></table>\n`,
      );
      const debug = await spawnMlp(['debug', 'ecr'], { cwd: project, env: workflowEnv(work, files()) });
      expect(debug.code, debug.stderr).toBe(0);
      expect(readFileSync(files().summary, 'utf8')).toMatch(
        /^<h2>mlp debug ecr: ✅ all 1 checks passed<\/h2>\n<table><tr><th>Result<\/th><th>Subject<\/th><th>Check<\/th><th>What it saw<\/th><th>Fix<\/th><\/tr><tr><td>➖ skip<\/td><td>[^<]+<\/td><td><code>ecr\.registry<\/code><\/td><td>[^<]+<\/td><td>—<\/td><\/tr><\/table>\n$/,
      );
    },
    TIMEOUT_MS,
  );
});

describe('the @actions/core seam', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'mlp-gha-seam-'));
    return () => rmSync(work, { recursive: true, force: true });
  });

  async function seam(env: Record<string, string> = {}) {
    const { PassThrough } = await import('node:stream');
    const { GithubActions } = await import('../src/lib/github-actions/core.js');
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return { actions: new GithubActions({ stderr, env }), text: () => text };
  }

  it('groups top-level tasks, prints nested and concurrent ones as lines, and stops at the first failure', async () => {
    const { runGrouped } = await import('../src/lib/github-actions/groups.js');
    const { actions, text } = await seam();
    const lines: string[] = [];
    const info = (line: string): void => void lines.push(line);
    const signal = new AbortController().signal;
    const failure = await runGrouped(
      actions,
      info,
      [
        { title: 'train', skip: 'no training section', run: async () => undefined },
        {
          title: 'build',
          run: () =>
            runGrouped(actions, info, [{ title: 'build api', run: async () => undefined }], signal).then(() => {
              lines.push(`inGroup=${actions.inGroup}`);
            }),
        },
        { title: 'deploy', run: () => Promise.reject(new Error('rollout failed')) },
        { title: 'test', run: () => Promise.reject(new Error('never run')) },
      ],
      signal,
    ).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toBe('rollout failed');
    expect(lines.map((line) => line.replace(/\d+\.\d s/, 'N s'))).toEqual([
      'train: skipped (no training section)',
      'build api: started',
      'build api: done in N s',
      'inGroup=true',
      'build: done in N s',
      'deploy: failed after N s',
    ]);
    expect(text()).toBe('::group::build\n::endgroup::\n::group::deploy\n::endgroup::\n');
    expect(actions.inGroup).toBe(false);

    const concurrent = await seam();
    await runGrouped(
      concurrent.actions,
      () => undefined,
      [
        { title: 'a', run: async () => undefined },
        { title: 'b', run: async () => undefined },
      ],
      signal,
      2,
    );
    expect(concurrent.text()).toBe('');
  });

  it('masks each secret once, escapes annotation properties and leaves process.stdout alone', async () => {
    const { actions, text } = await seam();
    const write = process.stdout.write;
    actions.mask('s3cret');
    actions.mask('s3cret');
    actions.error('two\nlines, 100%', { title: 'a: b, c', file: 'dir/mlp.yaml', line: 3, column: 7 });
    expect(process.stdout.write).toBe(write);
    expect(Object.prototype.hasOwnProperty.call(process.stdout, 'write')).toBe(false);
    expect(text()).toBe('::add-mask::s3cret\n::error title=a%3A b%2C c,file=dir/mlp.yaml,line=3,col=7::two%0Alines, 100%25\n');
  });

  it('writes outputs and the summary only to the files the environment names', async () => {
    const output = path.join(work, 'output.txt');
    const summaryFile = path.join(work, 'summary.md');
    writeFileSync(output, '');
    writeFileSync(summaryFile, '');
    const saved = process.env.GITHUB_OUTPUT;
    const { actions } = await seam({ GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summaryFile });
    actions.setOutput('url', 'http://x');
    expect(process.env.GITHUB_OUTPUT).toBe(saved);
    expect(readOutputs(output)).toEqual({ url: 'http://x' });
    actions.appendSummary((summary) => summary.addHeading('one', 2));
    actions.appendSummary((summary) => summary.addRaw('two', true));
    expect(readFileSync(summaryFile, 'utf8')).toBe('<h2>one</h2>\ntwo\n');

    const without = await seam();
    without.actions.setOutput('url', 'http://x');
    expect(without.actions.appendSummary((summary) => summary.addRaw('x'))).toBeUndefined();
  });

  it('summarises mlp status and mlp debug', async () => {
    const { statusSummary, debugSummary } = await import('../src/lib/github-actions/step-summary.js');
    const statusFile = path.join(work, 'status.md');
    writeFileSync(statusFile, '');
    const { actions } = await seam({ GITHUB_STEP_SUMMARY: statusFile });
    actions.appendSummary((summary) =>
      statusSummary(summary, {
        target: 'eks',
        namespace: 'ml',
        cluster: 'ml-platform',
        healthy: false,
        nodegroup: {
          name: 'ml-workers',
          cluster: 'ml-platform',
          status: 'ACTIVE',
          scaling: { min: 2, desired: 2, max: 4 },
          nodes: { ready: 2, total: 2 },
          healthy: true,
          problems: [],
        },
        services: [
          {
            service: 'fraud',
            target: 'eks',
            healthy: false,
            problems: ['pod fraud-1: ImagePullBackOff for image r/fraud:v2-typo.'],
            image: { reference: 'r/fraud:v2-typo', tag: null, digest: null, id: null },
            version: 'model',
            replicas: { desired: 2, updated: 1, ready: 2, available: 2 },
            rollout: { state: 'stalled', reason: 'ProgressDeadlineExceeded', message: null, cause: null },
            autoscaler: null,
            lastDeploy: null,
            endpoint: { kind: 'cluster-ip', url: 'http://fraud.ml.svc', address: '10.96.0.1' },
            container: null,
          } as never,
        ],
      }),
    );
    expect(readFileSync(statusFile, 'utf8')).toBe(
      '<h2>mlp status: ❌ 1 of 1 service degraded</h2>\n' +
        '<table><tr><th>Service</th><th>Health</th><th>Image</th><th>Model version</th><th>Replicas</th><th>Rollout</th><th>Endpoint</th></tr>' +
        '<tr><td>fraud</td><td>❌ degraded</td><td><code>r/fraud:v2-typo</code></td><td><code>model</code></td><td>2/2 available</td>' +
        '<td>stalled (ProgressDeadlineExceeded)</td><td>http://fraud.ml.svc</td></tr></table>\n' +
        '<p>Nodegroup <code>ml-workers</code>: ACTIVE · min 2 / desired 2 / max 4 · 2/2 nodes Ready</p>\n' +
        '<ul><li>fraud: pod fraud-1: ImagePullBackOff for image r/fraud:v2-typo.</li></ul>\n',
    );
    const summaryFile = path.join(work, 's.md');
    writeFileSync(summaryFile, '');
    const { actions: writing } = await seam({ GITHUB_STEP_SUMMARY: summaryFile });
    writing.appendSummary((summary) =>
      debugSummary(summary, 'ecr', [
        { check: 'ecr.registry', subject: 'api', status: 'pass', saw: 'registry is ECR' },
        { check: 'ecr.repository', subject: 'api', status: 'fail', saw: 'repository missing: <none>', fix: 'mlp push --service api' },
      ]),
    );
    expect(readFileSync(summaryFile, 'utf8')).toBe(
      '<h2>mlp debug ecr: ❌ 1 of 2 checks failed</h2>\n' +
        '<table><tr><th>Result</th><th>Subject</th><th>Check</th><th>What it saw</th><th>Fix</th></tr>' +
        '<tr><td>❌ FAIL</td><td>api</td><td><code>ecr.repository</code></td><td>repository missing: &lt;none&gt;</td><td>mlp push --service api</td></tr>' +
        '<tr><td>✅ ok</td><td>api</td><td><code>ecr.registry</code></td><td>registry is ECR</td><td>—</td></tr></table>\n',
    );
  });
});

describeWithBench(['kube'], 'mlp deploy --target eks in a GitHub Actions run', () => {
  let work: string;
  let project: string;
  let namespace: string;
  let kubeConfig: import('@kubernetes/client-node').KubeConfig;
  let k8s: typeof import('@kubernetes/client-node');
  const files = (): WorkflowFiles => ({ summary: path.join(work, 'summary.md'), output: path.join(work, 'output.txt') });
  const mlp = (...args: string[]) =>
    spawnMlp(args, { cwd: project, env: { ...clusterEnv(), ...workflowEnv(work, files()), KUBECONFIG: kubeconfigPath() } });

  beforeAll(async () => {
    k8s = await import('@kubernetes/client-node');
    kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath());
    work = mkdtempSync(path.join(tmpdir(), 'mlp-gha-eks-'));
    namespace = `mlp-gha-${Date.now().toString(36)}`;
    project = path.join(work, 'proj');
    mkdirSync(project);
    cpSync(FIXTURE_MODEL, path.join(project, 'model'), { recursive: true });
    writeFileSync(path.join(project, 'mlp.yaml'), clusterProject('gha', kubeConfig, namespace));
  });

  afterAll(async () => {
    await kubeConfig
      ?.makeApiClient(k8s.CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'sets the pushed image@digest, the model version and the Service URL as outputs, and summarises the rollout',
    async () => {
      const reference = `registry.local/gha/api@${fakeDigest(1)}`;
      writePushedBuild(project, reference);
      const run = await mlp('deploy', ...SKIP_TO_DEPLOY);
      expect(run.code, run.stderr).toBe(0);
      const ns = namespace;
      expect(normalize(run.stderr)).toBe(
        [
          `::add-mask::${AWS_SECRET}`,
          `Namespace/${ns} created (to hold the project lock)`,
          'train: skipped (--skip-train)',
          'build: skipped (--skip-build)',
          'push: skipped (--skip-push)',
          '::group::render',
          'cluster: kubeconfig context mlp-bench',
          `rendered 10 objects for namespace ${ns}`,
          '::endgroup::',
          'render: done in N s',
          '::group::deploy',
          `Namespace/${ns} configured`,
          `ResourceQuota/${ns}-quota in ${ns} created`,
          `LimitRange/${ns}-limits in ${ns} created`,
          ...['ServiceAccount', 'ConfigMap', 'Service', 'Deployment', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor'].map(
            (kind) => `${kind}/api in ${ns} created`,
          ),
          'api: rolled out (2/2 available)',
          '::endgroup::',
          'deploy: done in N s',
          'test: skipped (--skip-test)',
          '',
        ].join('\n'),
      );
      const url = `http://api.${namespace}.svc`;
      expect(readOutputs(files().output)).toEqual({
        image: reference,
        digest: fakeDigest(1),
        url,
        'image-api': reference,
        'digest-api': fakeDigest(1),
        'url-api': url,
        'rolled-back': 'false',
        services: JSON.stringify([{ service: 'api', image: reference, digest: fakeDigest(1), modelVersion: null, url, rolledBack: false }]),
      });
      const summary = normalize(readFileSync(files().summary, 'utf8'));
      expect(summary).toContain(
        `<h2>mlp deploy gha: ✅ deployed</h2>\n<p>target eks, namespace <code>${namespace}</code> · rollout N s</p>`,
      );
      expect(summary).toContain(`<tr><th>Image</th><td><code>registry.local/gha/api@sha256:<id></code></td></tr>`);
      expect(summary).toContain('<tr><th>Replicas ready</th><td>2/2</td></tr>');
    },
    TIMEOUT_MS,
  );

  it(
    'annotates a rollout the nodes cannot pull with its cause, the rollback and the fix',
    async () => {
      writePushedBuild(project, `registry.local/mlp-test-imagepullbackoff/api@${fakeDigest(2)}`);
      const run = await mlp('deploy', ...SKIP_TO_DEPLOY);
      expect(run.code).toBe(33);
      const annotation = run.stderr.split('\n').find((line) => line.startsWith('::error '));
      const image = `registry.local/mlp-test-imagepullbackoff/api@${fakeDigest(2)}`;
      expect(annotation?.replace(/api-[0-9a-f]{8,10}-[a-z0-9]{5}\b/g, '<pod>').replace(/api-[0-9a-f]{8,10}\b/g, '<replicaset>')).toBe(
        '::error title=mlp exit 33%3A A rollout or training Job failed%3A the nodes cannot pull the image (ImagePullBackOff%2C ErrImagePull)::' +
          `api: pod <pod>: ImagePullBackOff for image ${image}.%0A` +
          `Back-off pulling image "${image}"%0A` +
          'rolled back to revision 1 (ReplicaSet <replicaset>), which is available again%0A' +
          'Fix: fix the cause and deploy again; --no-rollback keeps a failed rollout in place for inspection',
      );
      expect(run.stderr).toMatch(/^::warning::api: rolling back to revision 1 \(ReplicaSet api-[a-z0-9]+\)$/m);
      const summary = readFileSync(files().summary, 'utf8');
      expect(summary).toContain('<h2>mlp deploy gha: ❌ failed in the deploy stage (exit 33, rolloutImagePull)</h2>');
      expect(summary).toContain(
        '<p><strong>Fix:</strong> fix the cause and deploy again; --no-rollback keeps a failed rollout in place for inspection</p>',
      );
      expect(readOutputs(files().output).image).toBe(`registry.local/mlp-test-imagepullbackoff/api@${fakeDigest(2)}`);
      expect(readOutputs(files().output)['rolled-back']).toBe('true');
      expectNoSecret([run.stderr, run.stdout, summary], [AWS_SECRET]);
    },
    TIMEOUT_MS,
  );
});
