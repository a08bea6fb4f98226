import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatVersion, listVersions, modelDir, nextVersion, readLatest, registerVersion } from './registry.js';

function project(): string {
  return mkdtempSync(path.join(tmpdir(), 'mlp-registry-'));
}

function staged(projectDir: string, metrics?: object): string {
  const dir = mkdtempSync(path.join(projectDir, 'staging-'));
  writeFileSync(path.join(dir, 'model.onnx'), 'onnx');
  if (metrics) writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify(metrics));
  return dir;
}

describe('model registry', () => {
  it('formats versions as UTC timestamps', () => {
    expect(formatVersion(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678)))).toBe('20250102T030405Z');
  });

  it('registers by moving the staging directory and points latest at the new version', async () => {
    const dir = project();
    const staging = staged(dir, { accuracy: 0.9 });
    const registered = await registerVersion(dir, 'fraud', '20250102T030405Z', staging);

    expect(registered).toMatchObject({ version: '20250102T030405Z', latest: true, metrics: { accuracy: 0.9 } });
    expect(readdirSync(registered.dir)).toEqual(['metrics.json', 'model.onnx']);
    expect(readdirSync(dir)).not.toContain(path.basename(staging));
    expect(readFileSync(path.join(modelDir(dir, 'fraud'), 'latest'), 'utf8')).toBe('20250102T030405Z\n');
    expect(await readLatest(dir, 'fraud')).toBe('20250102T030405Z');
    // No temporary pointer files are left behind.
    expect(readdirSync(modelDir(dir, 'fraud')).sort()).toEqual(['20250102T030405Z', 'latest']);
  });

  it('lists versions newest first with their metrics and marks latest', async () => {
    const dir = project();
    for (const version of ['20250102T000000Z', '20250301T000000Z', '20250201T000000Z']) {
      await registerVersion(dir, 'fraud', version, staged(dir, { roc_auc: Number(version.slice(4, 6)) / 10 }));
    }
    // latest is whatever was registered last, not the newest name.
    const versions = await listVersions(dir, 'fraud');
    expect(versions.map((entry) => entry.version)).toEqual(['20250301T000000Z', '20250201T000000Z', '20250102T000000Z']);
    expect(versions.map((entry) => entry.latest)).toEqual([false, true, false]);
    expect(versions[0]?.metrics).toEqual({ roc_auc: 0.3 });
  });

  it('ignores stray entries and lists versions without metrics', async () => {
    const dir = project();
    await registerVersion(dir, 'fraud', '20250102T000000Z', staged(dir));
    mkdirSync(path.join(modelDir(dir, 'fraud'), 'not-a-version'));
    writeFileSync(path.join(modelDir(dir, 'fraud'), '20250103T000000Z'), 'a file, not a directory');

    const versions = await listVersions(dir, 'fraud');
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: '20250102T000000Z', metrics: undefined, latest: true });
  });

  it('has no versions and no latest before the first registration', async () => {
    const dir = project();
    expect(await listVersions(dir, 'fraud')).toEqual([]);
    expect(await readLatest(dir, 'fraud')).toBeUndefined();
  });

  it('never reuses a taken version', async () => {
    const dir = project();
    const now = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
    await registerVersion(dir, 'fraud', await nextVersion(dir, 'fraud', now), staged(dir));
    expect(await nextVersion(dir, 'fraud', now)).toBe('20250102T030406Z');
    await expect(registerVersion(dir, 'fraud', '20250102T030405Z', staged(dir))).rejects.toThrow(/already registered/);
  });
});
