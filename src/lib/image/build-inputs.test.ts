import { describe, expect, it } from 'vitest';
import { contentHash, describeChanges, type HashedFile } from './build-inputs.js';

const file = (path: string, sha256: string): HashedFile => ({ path, sha256, size: 1, mtimeMs: 1 });

describe('contentHash', () => {
  it('is the same for the same files and arguments in any order', () => {
    const a = contentHash([file('server.js', 'aa'), file('model/model.onnx', 'bb')], { BASE_IMAGE: 'node', platform: 'linux/amd64' });
    const b = contentHash([file('model/model.onnx', 'bb'), file('server.js', 'aa')], { platform: 'linux/amd64', BASE_IMAGE: 'node' });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any file, path or argument', () => {
    const base = contentHash([file('server.js', 'aa')], { platform: 'linux/amd64' });
    expect(contentHash([file('server.js', 'ab')], { platform: 'linux/amd64' })).not.toBe(base);
    expect(contentHash([file('app.js', 'aa')], { platform: 'linux/amd64' })).not.toBe(base);
    expect(contentHash([file('server.js', 'aa')], { platform: 'linux/arm64' })).not.toBe(base);
  });
});

describe('describeChanges', () => {
  const before = {
    files: [file('server.js', 'aa'), file('model/model.onnx', 'bb'), file('model/old.txt', 'cc')],
    args: { BASE_IMAGE: 'node:20' },
  };

  it('names changed, added and removed files and changed arguments', () => {
    const after = {
      files: [file('server.js', 'aa'), file('model/model.onnx', 'b2'), file('model/metrics.json', 'dd')],
      args: { BASE_IMAGE: 'node:22' },
    };
    expect(describeChanges(before, after)).toEqual([
      'model/model.onnx changed',
      'model/metrics.json added',
      'model/old.txt removed',
      'BASE_IMAGE changed (node:20 → node:22)',
    ]);
  });

  it('says when there is no earlier build, and when the image went missing with unchanged inputs', () => {
    expect(describeChanges(undefined, before)).toEqual(['no earlier build of this service']);
    expect(describeChanges(before, before)).toEqual(['the image is missing although its inputs are unchanged']);
  });
});
