import { LineCounter, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatPath, SourceLocator } from './locate.js';

describe('formatPath', () => {
  it('writes paths as users do', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['services', 0, 'autoscaling', 'max'])).toBe('services[0].autoscaling.max');
    expect(formatPath(['training', 'env', 'MY_VAR'])).toBe('training.env.MY_VAR');
    expect(formatPath(['services', 1, 'env', 'a.b'])).toBe('services[1].env["a.b"]');
  });
});

describe('SourceLocator', () => {
  const text = ['name: fraud', 'services:', '  - name: a', '    autoscaling: { min: 5, max: 2 }', '    model:', '      source: dir'].join(
    '\n',
  );
  const lineCounter = new LineCounter();
  const locator = new SourceLocator(parseDocument(text, { lineCounter }), lineCounter);

  it('finds the value at a path, 1-based', () => {
    expect(locator.locate(['name'])).toEqual({ line: 1, column: 7, depth: 1 });
    expect(locator.locate(['services', 0, 'autoscaling', 'max'])).toEqual({ line: 4, column: 33, depth: 4 });
  });

  it('finds the key itself when asked', () => {
    expect(locator.locate(['services', 0, 'autoscaling'], { key: true })).toEqual({ line: 4, column: 5, depth: 3 });
  });

  it('points a missing key at the mapping that should hold it', () => {
    expect(locator.locate(['services', 0, 'model', 'path'])).toEqual({ line: 6, column: 7, depth: 3 });
    expect(locator.locate(['services', 3, 'name'])).toEqual({ line: 3, column: 3, depth: 1 });
  });
});
