import { describe, expect, it } from 'vitest';
import { BuildLog } from './build-log.js';

describe('BuildLog', () => {
  it("names the failing step and keeps only that step's output", () => {
    const log = new BuildLog();
    for (const line of [
      '#5 [2/3] RUN echo hello',
      '#5 0.267 hello',
      '#5 DONE 0.6s',
      '#6 [3/3] RUN echo "about to fail" && ls /nonexistent',
      '#6 0.323 about to fail',
      "#6 0.327 ls: cannot access '/nonexistent': No such file or directory",
      '#6 ERROR: executor failed running [/bin/sh -c echo "about to fail" && ls /nonexistent]: exit code: 2',
      'ERROR: failed to solve: executor failed running',
    ])
      log.push(line);
    expect(log.failure()).toEqual({
      step: '[3/3] RUN echo "about to fail" && ls /nonexistent',
      error: 'executor failed running [/bin/sh -c echo "about to fail" && ls /nonexistent]: exit code: 2',
      log: ['about to fail', "ls: cannot access '/nonexistent': No such file or directory"],
    });
  });

  it('falls back to the final error when no step failed (a bad Dockerfile, a missing base image)', () => {
    const log = new BuildLog();
    log.push('ERROR: failed to solve: dockerfile parse error on line 3: unknown instruction: RUNN');
    expect(log.failure()).toEqual({ error: 'failed to solve: dockerfile parse error on line 3: unknown instruction: RUNN', log: [] });
  });

  it('keeps a bounded tail of a chatty step', () => {
    const log = new BuildLog(3);
    log.push('#7 [1/1] RUN seq 100');
    for (let i = 1; i <= 100; i += 1) log.push(`#7 0.${i} ${i}`);
    log.push('#7 ERROR: exit code: 1');
    expect(log.failure().log).toEqual(['98', '99', '100']);
  });
});
