import { describe, expect, it } from 'vitest';
import { planPipeline } from './plan.js';

type Source = 'training' | 'dir';
const config = (target: 'local' | 'eks', source: Source = 'training', training: unknown = { command: 'python train.py' }) => ({
  deploy: { target },
  training,
  services: [
    { name: 'fraud', model: { source } },
    { name: 'gateway', model: { source: 'dir' as const } },
  ],
});

const actions = (plan: ReturnType<typeof planPipeline>) => Object.fromEntries(plan.stages.map((stage) => [stage.name, stage.action]));

describe('planPipeline', () => {
  it('runs every stage in order for an EKS target that trains its model', () => {
    const plan = planPipeline(config('eks') as never, {});
    expect(plan.stages.map((stage) => stage.name)).toEqual(['train', 'build', 'push', 'render', 'deploy', 'test']);
    expect(Object.values(actions(plan))).toEqual(['run', 'run', 'run', 'run', 'run', 'run']);
  });

  it('skips push and render on the local target, saying why', () => {
    const plan = planPipeline(config('local') as never, {});
    expect(actions(plan)).toMatchObject({ push: 'skip', render: 'skip', build: 'run', deploy: 'run' });
    expect(plan.stages.find((stage) => stage.name === 'push')?.reason).toContain('local target');
  });

  it('skips training when no service serves the trained model or there is no training section', () => {
    expect(actions(planPipeline(config('eks', 'dir') as never, {})).train).toBe('skip');
    const { training: _omitted, ...untrainedConfig } = config('eks');
    const untrained = planPipeline(untrainedConfig as never, {});
    expect(untrained.stages[0]).toMatchObject({ action: 'skip', reason: 'mlp.yaml has no training section' });
  });

  it('names the --skip flag as the reason when the user skipped a stage', () => {
    const plan = planPipeline(config('eks') as never, { train: true, test: true });
    expect(plan.stages[0]).toEqual({ name: 'train', action: 'skip', reason: '--skip-train' });
    expect(plan.stages[5]).toEqual({ name: 'test', action: 'skip', reason: '--skip-test' });
  });
});
