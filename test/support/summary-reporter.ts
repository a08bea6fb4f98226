/**
 * Prints a plain summary after vitest's own report, for CI systems that read plain lines rather than vitest's
 * decorated table. The bench self-checks (test/bench-self-check/: the Docker engine, the registry, the Kubernetes
 * control plane answer) test the bench, not mlp, so they are counted on a line of their own:
 *
 *     mlp: 412 passed / 0 failed / 3 skipped
 *     bench self-check: 14 passed / 0 failed / 0 skipped
 *     vitest: 426 passed, 0 failed, 3 skipped
 *
 * The closing `vitest:` line is the whole run, as vitest counts it, in the format it always had, and the only line
 * in that format: whatever judges a run by `N passed, N failed` finds the totals, first match or last. A test file that failed to load counts as a failure of its group; an unhandled
 * error belongs to no file, so it counts as mlp's.
 */
import path from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

const BENCH_SELF_CHECK_DIR = `test${path.sep}bench-self-check${path.sep}`;

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const breakdown = (label: string, { passed, failed, skipped }: Counts): string =>
  `${label}: ${passed} passed / ${failed} failed / ${skipped} skipped`;

function isBenchSelfCheck(testModule: Pick<TestModule, 'relativeModuleId'>): boolean {
  return path.normalize(testModule.relativeModuleId).startsWith(BENCH_SELF_CHECK_DIR);
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const mlp: Counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    const bench: Counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      const counts = isBenchSelfCheck(testModule) ? bench : mlp;
      if (testModule.errors().length > 0) counts.failed += 1;
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
    }
    const total: Counts = { passed: mlp.passed + bench.passed, failed: mlp.failed + bench.failed, skipped: mlp.skipped + bench.skipped };
    const closing = `vitest: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`;
    process.stdout.write(`\n${breakdown('mlp', mlp)}\n${breakdown('bench self-check', bench)}\n${closing}\n`);
  }
}
