import type { V1ResourceQuota } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProjectConfig } from '../config/load.js';
import type { MlpConfig } from '../config/schema.js';
import { packageFile } from '../package-root.js';
import { renderManifests } from '../render/renderer.js';
import { podAmounts, quotaChecks, surgeOf, workloadNeeds, type Amounts, type WorkloadNeed } from './quota.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** examples/fraud rendered as mlp render renders it, under `profile`. */
async function renderedExample(profile?: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlp-debug-quota-'));
  dirs.push(dir);
  await writeFile(path.join(dir, 'mlp.yaml'), await readFile(packageFile('examples/fraud/mlp.yaml'), 'utf8'));
  const project = await loadProjectConfig({ dir, env: { AWS_ACCOUNT_ID: '123456789012' }, ...(profile ? { profile } : {}) });
  return { project, objects: await renderManifests(project) };
}

const total = (needs: WorkloadNeed[], key: string) => needs.reduce((sum, need) => sum + need.pods * (need.perPod.get(key) ?? 0), 0);
const hardOf = (objects: Awaited<ReturnType<typeof renderedExample>>['objects']) =>
  (objects.find((object) => object.kind === 'ResourceQuota')!.spec as { hard: Record<string, string> }).hard;

describe('workloadNeeds', () => {
  it('counts an autoscaled service at autoscaling.max plus its surge: exactly what mlp sizes its own quota for', async () => {
    const { objects } = await renderedExample();
    const [fraud, ...rest] = workloadNeeds(objects);
    expect(rest).toEqual([]);
    expect(fraud).toMatchObject({
      label: 'fraud',
      service: 'fraud',
      pods: 13,
      count: '10 replicas (autoscaling.max) + 3 surge',
      autoscaled: true,
    });
    expect(fraud!.perPod.get('requests.cpu')).toBe(250);
    expect(fraud!.perPod.get('limits.memory')).toBe(512 * 2 ** 20);
    expect(total([fraud!], 'requests.cpu')).toBe(3250);
    expect(hardOf(objects)['requests.cpu']).toBe('3250m');
  });

  it('adds the training Job when training runs on the cluster', async () => {
    const { objects } = await renderedExample('eks');
    const needs = workloadNeeds(objects);
    expect(needs.map((need) => [need.service, need.pods])).toEqual([
      ['fraud', 13],
      [undefined, 1],
    ]);
    expect(needs[1]!.label).toMatch(/^training Job fraud-train-/);
    expect(total(needs, 'requests.cpu')).toBe(3250 + 2000);
    expect(total(needs, 'pods')).toBe(Number(hardOf(objects).pods));
  });
});

describe('surgeOf and podAmounts', () => {
  it('rounds a percentage surge up, as the Deployment controller does', () => {
    expect([1, 2, 4, 5, 10].map((size) => surgeOf('25%', size))).toEqual([1, 1, 1, 2, 3]);
    expect(surgeOf(2, 10)).toBe(2);
    expect(surgeOf(undefined, 3)).toBe(1);
  });

  it('sums containers, a request defaults to its limit, the LimitRange fills in the rest', () => {
    const amounts = podAmounts(
      { containers: [{ name: 'a', resources: { limits: { cpu: '1' } } }, { name: 'b' }] },
      { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
    );
    expect(Object.fromEntries(amounts)).toEqual({
      pods: 1,
      'requests.cpu': 1000 + 250,
      'limits.cpu': 1000 + 500,
      'requests.memory': 2 * 256 * 2 ** 20,
      'limits.memory': 2 * 512 * 2 ** 20,
    });
  });
});

describe('quotaChecks', () => {
  const config = {
    services: [{ name: 'fraud', replicas: 1, resources: { requests: { cpu: '250m', memory: '256Mi' } } }],
  } as unknown as MlpConfig;
  const fraud: WorkloadNeed = {
    label: 'fraud',
    service: 'fraud',
    pods: 2,
    count: '1 replica + 1 surge',
    autoscaled: false,
    perPod: new Map([
      ['pods', 1],
      ['requests.cpu', 250],
    ]),
  };
  const amounts = (entries: Record<string, number>): Amounts => new Map(Object.entries(entries));
  const quota = (name: string, hard: Record<string, string>, used?: Record<string, string>): V1ResourceQuota => ({
    metadata: { name },
    spec: { hard },
    ...(used ? { status: { hard, used } } : {}),
  });

  it('fails a quota the next deploy would exceed, naming used, hard, needed and the mlp.yaml values to lower', () => {
    const records = quotaChecks(config, 'ml', {
      live: [quota('team-cap', { 'requests.cpu': '400m', pods: '10' }, { 'requests.cpu': '250m', pods: '1' })],
      rendered: [],
      needs: [fraud],
      current: amounts({ 'requests.cpu': 250, pods: 1 }),
      namespaceUse: amounts({ 'requests.cpu': 250, pods: 1 }),
    });
    const [cpu, pods] = records;
    expect(cpu).toMatchObject({
      check: 'quota.resource',
      subject: 'team-cap/requests.cpu',
      status: 'fail',
      saw: "250m of 400m used; the next deploy needs 500m, replacing the project's pods' 250m → 500m (100m over)",
      details: ['fraud: 2 pods (1 replica + 1 surge) × 250m'],
    });
    expect(cpu!.fix).toBe(
      'lower services[0].resources.requests.cpu (250m) or services[0].replicas (1) in mlp.yaml, or raise requests.cpu of ResourceQuota team-cap to 500m: ' +
        `kubectl -n ml patch resourcequota team-cap --type merge -p '{"spec":{"hard":{"requests.cpu":"500m"}}}'`,
    );
    expect(pods).toMatchObject({ subject: 'team-cap/pods', status: 'pass', saw: expect.stringContaining('→ 2 (8 to spare)') });
  });

  it("counts mlp's own quota as the deploy applies it (never below the live one), and other pods' use against it", () => {
    const records = quotaChecks(config, 'ml', {
      live: [quota('ml-quota', { 'requests.cpu': '1', services: '2' }, { 'requests.cpu': '900m', services: '1' })],
      rendered: [quota('ml-quota', { 'requests.cpu': '500m' })],
      needs: [fraud],
      current: amounts({ 'requests.cpu': 250 }),
      namespaceUse: amounts({ 'requests.cpu': 900 }),
    });
    const cpu = records.find((record) => record.subject === 'ml-quota/requests.cpu')!;
    expect(cpu).toMatchObject({ status: 'fail', saw: expect.stringContaining('900m of 1 used; the next deploy needs 500m') });
    expect(cpu.details).toEqual([
      'fraud: 2 pods (1 replica + 1 surge) × 250m',
      'other pods in ml use 650m',
      'mlp deploy sets requests.cpu to 500m (now 1)',
    ]);
    expect(cpu.fix).toContain('or free what other pods in ml use of it');
    expect(records.find((record) => record.subject === 'ml-quota/services')).toMatchObject({ status: 'skip' });
  });

  it('a quota the deploy creates starts from what the namespace uses; no quota at all passes', () => {
    const [cpu] = quotaChecks(config, 'ml', {
      live: [],
      rendered: [quota('ml-quota', { 'requests.cpu': '500m' })],
      needs: [fraud],
      current: amounts({}),
      namespaceUse: amounts({}),
    });
    expect(cpu).toMatchObject({ status: 'pass', details: ['fraud: 2 pods (1 replica + 1 surge) × 250m', 'mlp deploy creates this quota'] });
    expect(quotaChecks(config, 'ml', { live: [], rendered: [], needs: [], current: new Map(), namespaceUse: new Map() })).toEqual([
      expect.objectContaining({ check: 'quota.present', status: 'pass' }),
    ]);
  });
});
