import { describe, expect, it } from 'vitest';
import { activationMatches, activeProfileIndex, applyProfile, sourcesOf } from './profiles.js';

describe('activation', () => {
  it('matches VAR=value exactly and VAR when it is set and not empty', () => {
    expect(activationMatches('STAGE=prod', { STAGE: 'prod' })).toBe(true);
    expect(activationMatches('STAGE=prod', { STAGE: 'production' })).toBe(false);
    expect(activationMatches('STAGE=', { STAGE: '' })).toBe(true);
    expect(activationMatches('CI', { CI: 'true' })).toBe(true);
    expect(activationMatches('CI', { CI: '' })).toBe(false);
    expect(activationMatches('CI', {})).toBe(false);
  });

  it('picks the first matching profile', () => {
    const profiles = [{ name: 'a' }, { name: 'b', activation: { env: 'CI' } }, { name: 'c', activation: { env: 'CI' } }];
    expect(activeProfileIndex(profiles, { CI: '1' })).toBe(1);
    expect(activeProfileIndex(profiles, {})).toBe(-1);
  });
});

describe('applyProfile', () => {
  const base = {
    deploy: { target: 'local', timeoutSeconds: 300 },
    training: { command: ['python', 'train.py'], env: { A: '1', B: '2' } },
    services: [
      { name: 'a', replicas: 2, model: { source: 'dir', path: 'm' }, smoke: [{ path: '/x' }, { path: '/y' }] },
      { name: 'b', replicas: 1, model: { source: 'training' } },
    ],
  };

  it('merges objects deeply and replaces lists', () => {
    const { merged } = applyProfile(base, { deploy: { target: 'eks' }, training: { command: ['make'], env: { B: '3' } } }, ['profiles', 0]);
    expect(merged.deploy).toEqual({ target: 'eks', timeoutSeconds: 300 });
    expect(merged.training).toEqual({ command: ['make'], env: { A: '1', B: '3' } });
  });

  it('merges services by name and appends new ones, replacing a model whole', () => {
    const overlay = {
      services: [
        { name: 'b', replicas: 4 },
        { name: 'a', model: { source: 'training' }, smoke: [{ path: '/z' }] },
        { name: 'c', model: { source: 'training' } },
      ],
    };
    const { merged } = applyProfile(base, overlay, ['profiles', 0]);
    expect(merged.services).toEqual([
      { name: 'a', replicas: 2, model: { source: 'training' }, smoke: [{ path: '/z' }] },
      { name: 'b', replicas: 4, model: { source: 'training' } },
      { name: 'c', model: { source: 'training' } },
    ]);
  });

  it('does not change the base', () => {
    const before = JSON.stringify(base);
    applyProfile(base, { deploy: { target: 'eks' }, services: [{ name: 'a', replicas: 9 }] }, ['profiles', 0]);
    expect(JSON.stringify(base)).toBe(before);
  });

  it("remembers where the profile set each value, by the profile's own indices", () => {
    const { provenance } = applyProfile(base, { services: [{ name: 'b', replicas: 4 }, { name: 'c' }] }, ['profiles', 2]);
    expect(sourcesOf(['services', 1, 'replicas'], provenance)).toEqual([
      ['profiles', 2, 'services', 0, 'replicas'],
      ['services', 1, 'replicas'],
    ]);
    expect(sourcesOf(['services', 2, 'model'], provenance)[0]).toEqual(['profiles', 2, 'services', 1, 'model']);
    // A base service the profile does not touch stays where it is in the file.
    expect(sourcesOf(['services', 0, 'replicas'], provenance)[0]).toEqual(['services', 0, 'replicas']);
    expect(sourcesOf(['deploy', 'target'], provenance)).toEqual([['deploy', 'target']]);
  });
});
