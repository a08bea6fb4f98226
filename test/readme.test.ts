import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/lib/errors.js';
import { describeWithBench } from './support/bench.js';
import { runMlp } from './support/run-mlp.js';
import { trainingEnv } from './support/training-env.js';

const root = path.resolve(import.meta.dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** The first fenced sh block after a bold heading that starts with `title`. */
function commandUnder(title: string): string {
  const start = readme.indexOf(`**${title}`);
  expect(start, `README has a "${title}" paragraph`).toBeGreaterThan(-1);
  const block = /```sh\n([^\n]+)\n```/.exec(readme.slice(start));
  return block![1]!;
}

describe('README', () => {
  it('documents every exit code exactly as the code defines it', () => {
    const rows = [...readme.matchAll(/^\| (\d+) \| (\w+) \| (.+) \|$/gm)].map(([, code, name, meaning]) => ({
      code: Number(code),
      name,
      meaning,
    }));
    const defined = Object.entries(EXIT_CODES).map(([name, entry]) => ({ code: entry.code, name, meaning: entry.meaning }));
    expect(rows).toEqual(defined);
  });

  it('has the test command that .ci/run runs verbatim', () => {
    const testCommand = commandUnder('Run the tests');
    const ciRun = readFileSync(path.join(root, '.ci', 'run'), 'utf8');
    expect(ciRun.split('\n')).toContain(testCommand);
  });
});

// No buildx: the main command builds with Debian's docker CLI, which has BuildKit built in (test/bench/local-up.sh).
describeWithBench(['docker', 'baseImage'], 'README main command', () => {
  it(
    'runs mlp deploy on the local target of the bundled example, and it works',
    async () => {
      const mainCommand = commandUnder('Set up and run the main job');
      // Only what a local deploy needs is set up: the full bench is the test command's.
      expect(mainCommand).toMatch(
        /^ONNXRUNTIME_NODE_INSTALL=skip npm ci && bash test\/bench\/local-up\.sh && MLP_DOCKER=\/usr\/bin\/docker npx mlp deploy -C examples\/fraud --target local /,
      );

      // Run the mlp part as written, on a copy of the example so the repository stays clean.
      const project = mkdtempSync(path.join(tmpdir(), 'mlp-readme-'));
      cpSync(path.join(root, 'examples', 'fraud'), project, { recursive: true, filter: (source) => !source.includes(`${path.sep}.mlp`) });
      const [, assignments, args] = /&& ((?:\w+=\S+ )*)npx mlp (.+)$/.exec(mainCommand)!;
      const env = Object.fromEntries(
        assignments!
          .trim()
          .split(' ')
          .filter(Boolean)
          .map((pair) => pair.split('=') as [string, string]),
      );
      const argv = args!.split(' ').map((arg) => (arg === 'examples/fraud' ? project : arg));
      const run = await runMlp(argv, { env: trainingEnv({ CI: 'true', ...env }) });
      expect(run.exitCode, run.stderr).toBe(0);
      const version = readFileSync(path.join(project, '.mlp', 'models', 'fraud', 'latest'), 'utf8').trim();
      expect(version).toMatch(/^\d{8}T\d{6}Z$/);
      // The image was built with the version just trained in it.
      const record = JSON.parse(readFileSync(path.join(project, '.mlp', 'builds', 'fraud.json'), 'utf8'));
      expect(record).toMatchObject({ repository: 'fraud/fraud', modelVersion: version, platform: 'linux/amd64' });
      if (!argv.includes('--skip-deploy')) {
        // It runs, and the smoke test the example names passed against it.
        expect(run.stderr).toContain('fraud: smoke test predict: POST /predict → 200');
        // The last line is where to try the model.
        expect(run.stdout.trim().split('\n').pop()).toBe('fraud: try the model at http://127.0.0.1:8080/');
        expect((await fetch('http://127.0.0.1:8080/')).headers.get('content-type')).toBe('text/html; charset=utf-8');
        const metadata = await fetch('http://127.0.0.1:8080/metadata').then((res) => res.json());
        expect(metadata).toMatchObject({ model_name: 'fraud', model_version: version });
      }
    },
    15 * 60_000,
  );

  afterAll(() => {
    for (const container of ['mlp-fraud-fraud', 'mlp-fraud-fraud-previous'])
      spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
  });
});
