import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TestModule } from 'vitest/node';
import SummaryReporter from './summary-reporter.js';

type State = 'passed' | 'failed' | 'skipped';

function testModule(relativeModuleId: string, states: State[], loadErrors = 0): TestModule {
  return {
    relativeModuleId,
    errors: () => Array.from({ length: loadErrors }, () => ({ message: 'failed to load' })),
    children: { allTests: () => states.map((state) => ({ result: () => ({ state }) })) },
  } as unknown as TestModule;
}

function summary(modules: TestModule[], unhandledErrors = 0): string[] {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  new SummaryReporter().onTestRunEnd(modules, Array.from({ length: unhandledErrors }, () => ({ message: 'boom' })) as never);
  const text = write.mock.calls.map(([chunk]) => String(chunk)).join('');
  write.mockRestore();
  return text.trim().split('\n');
}

afterEach(() => vi.restoreAllMocks());

describe('summary reporter', () => {
  it("counts the bench self-checks apart from mlp's tests and closes with the run's totals", () => {
    const lines = summary([
      testModule('test/cli.test.ts', ['passed', 'passed', 'skipped']),
      testModule('serving/test/graceful-shutdown.test.ts', ['passed', 'failed']),
      testModule('test/bench-self-check/kube.test.ts', ['passed', 'skipped', 'skipped']),
      testModule('test/bench-self-check/components.test.ts', [], 1),
    ]);
    expect(lines).toEqual([
      'mlp: 3 passed / 1 failed / 1 skipped',
      'bench self-check: 1 passed / 1 failed / 2 skipped',
      'vitest: 4 passed, 2 failed, 3 skipped',
    ]);
  });

  it('prints the totals in the `N passed, N failed` form on the closing line only', () => {
    const lines = summary([testModule('test/bench-self-check/kube.test.ts', ['passed'])], 2);
    expect(lines.filter((line) => /\d+ passed, \d+ failed/.test(line))).toEqual([lines.at(-1)]);
    expect(lines.at(-1)).toBe('vitest: 1 passed, 2 failed, 0 skipped');
  });
});
