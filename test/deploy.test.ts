import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/lib/errors.js';
import { runMlp } from './support/run-mlp.js';

const example = path.resolve(import.meta.dirname, '..', 'examples', 'fraud');
const SKIP_ALL = ['--skip-train', '--skip-build', '--skip-push', '--skip-render', '--skip-deploy', '--skip-test'];

function projectWith(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlp-deploy-'));
  writeFileSync(path.join(dir, 'mlp.yaml'), yaml);
  return dir;
}

describe('mlp deploy --dry-run', () => {
  it('prints the plan for the bundled example on the local target and changes nothing', async () => {
    const run = await runMlp(['deploy', '-C', example, '--target', 'local', '--dry-run']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('Plan for fraud');
    expect(run.stdout).toContain('target local');
    expect(run.stdout).toMatch(/push\s+skip\s+the local target runs images from the local engine/);
    expect(run.stdout).toMatch(/build\s+run\s+build images for fraud/);
  });

  it('marks skipped stages with the flag that skipped them, in one JSON document', async () => {
    const run = await runMlp(['deploy', '-C', example, '--dry-run', '--skip-train', '--skip-test', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as { ok: boolean; plan: { stages: Array<{ name: string; action: string; reason: string }> } };
    expect(document.ok).toBe(true);
    expect(document.plan.stages.find((stage) => stage.name === 'train')).toEqual({ name: 'train', action: 'skip', reason: '--skip-train' });
    expect(document.plan.stages.find((stage) => stage.name === 'test')).toMatchObject({ action: 'skip', reason: '--skip-test' });
  });

  it('applies the eks target from the flag over the file', async () => {
    const run = await runMlp(['deploy', '-C', example, '--target', 'eks', '--dry-run', '--json']);
    const document = JSON.parse(run.stdout) as { plan: { target: string; stages: Array<{ name: string; action: string }> } };
    expect(document.plan.target).toBe('eks');
    expect(document.plan.stages.find((stage) => stage.name === 'push')?.action).toBe('run');
  });
});

describe('mlp deploy', () => {
  it('hands each stage the results of the stages before it, and skipped stages hand on nothing', async () => {
    const { runPipeline, stagesFor } = await import('../src/lib/pipeline/runner.js');
    const { planPipeline } = await import('../src/lib/pipeline/plan.js');
    const { contextForTest } = await import('./support/run-mlp.js');
    const services = [{ name: 'fraud', model: { source: 'training' } }] as never;
    const plan = planPipeline({ deploy: { target: 'eks', timeoutSeconds: 300, rollback: true }, services, training: {} }, { push: true });
    const seen: Record<string, string[]> = {};
    const record =
      (name: string, result: unknown) =>
      async ({ earlier }: { earlier: object }) => {
        seen[name] = Object.keys(earlier);
        return result as never;
      };
    const stages = {
      ...stagesFor('eks'),
      train: record('train', { version: 'v1' }),
      build: record('build', [{ service: 'fraud' }]),
      push: record('push', []),
      render: record('render', { objects: [], access: undefined }),
      deploy: async ({ earlier }: { earlier: { render?: { objects: unknown[] } } }) => {
        seen.deploy = Object.keys(earlier);
        return { target: 'local' as const, services: [], rendered: earlier.render?.objects.length };
      },
      test: record('test', []),
    };
    const results = await runPipeline(await contextForTest(), plan, stages as never);
    expect(seen).toEqual({
      train: [],
      build: ['train'],
      render: ['train', 'build'],
      deploy: ['train', 'build', 'render'],
      test: ['train', 'build', 'render', 'deploy'],
    });
    expect(results.train).toEqual({ version: 'v1' });
    expect(results.push).toBeUndefined();
  });

  it('in CI, reports each stage as a plain line on stderr, without terminal animation', async () => {
    const run = await runMlp(['deploy', '-C', example, ...SKIP_ALL], { tty: true, env: { CI: 'true' } });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('build [SKIPPED: --skip-build]');
    expect(run.stderr).not.toMatch(/\u001b\[\d*[AK]/);
    expect(run.stdout).toBe('');
  });

  it('on a terminal, animates the stages on stderr and leaves stdout empty', async () => {
    const run = await runMlp(['deploy', '-C', example, ...SKIP_ALL], { tty: true, env: {} });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\u001b\[\d*A/);
    expect(run.stderr).toMatch(/test\n\s+↓ --skip-test/);
    expect(run.stdout).toBe('');
  });
});

describe('configuration errors through the CLI', () => {
  it('a missing mlp.yaml exits with the config code and says how to create one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlp-empty-'));
    const run = await runMlp(['deploy', '-C', dir, '--dry-run']);
    expect(run.exitCode).toBe(EXIT_CODES.config.code);
    expect(run.stderr).toContain('mlp.yaml');
    expect(run.stderr).toContain('mlp init');
  });

  it('reports every problem at once with file:line:column and the field path', async () => {
    const dir = projectWith(
      [
        'apiVersion: mlp/v1',
        'name: fraud',
        'services:',
        '  - name: fraud',
        '    model: { source: training }',
        '    replica: 2',
        '    autoscaling: { min: 5, max: 2 }',
      ].join('\n'),
    );
    const run = await runMlp(['deploy', '-C', dir, '--dry-run']);
    expect(run.exitCode).toBe(EXIT_CODES.config.code);
    expect(run.stderr).toMatch(/mlp\.yaml:6:\d+: .*"replica".*did you mean "replicas"/);
    expect(run.stderr).toMatch(/mlp\.yaml:7:\d+: services\[0\]\.autoscaling\.max must be >= min/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown profile names the profiles that exist', async () => {
    const run = await runMlp(['deploy', '-C', example, '--profile', 'prod', '--dry-run']);
    expect(run.exitCode).toBe(EXIT_CODES.config.code);
    expect(run.stderr).toContain('prod');
    expect(run.stderr).toContain('dev');
  });
});
