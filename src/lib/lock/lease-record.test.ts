import type { V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { LockHolder } from './holder.js';
import { leaseFor, leaseHolder, leaseName, leaseState } from './lease-record.js';

const holder: LockHolder = {
  id: 'bob@ci-7-99-beef',
  operation: 'rollback',
  user: 'bob',
  host: 'ci-7',
  pid: 99,
  command: 'mlp rollback api',
  since: '2026-12-03T07:00:00.000Z',
};
const asMicroTime = (at: Date): V1MicroTime => at as V1MicroTime;
/** A Lease as client-node reads it back: MicroTime fields are the API's strings. */
const readBack = (lease: V1Lease): V1Lease => JSON.parse(JSON.stringify(lease)) as V1Lease;

describe('the project Lease', () => {
  const now = new Date('2026-12-03T07:00:10.000Z');
  const lease = leaseFor({ name: leaseName('fraud'), namespace: 'ml', project: 'fraud', holder, now, transitions: 0 }, asMicroTime);

  it('is mlp-<project>-lock, held by the holder for 30 s, with who it is in annotations and no prunable label', () => {
    expect(lease.metadata).toMatchObject({ name: 'mlp-fraud-lock', namespace: 'ml' });
    expect(lease.metadata?.labels).not.toHaveProperty('mlp.dev/project');
    expect(lease.metadata?.annotations).toMatchObject({
      'mlp.dev/lock-user': 'bob',
      'mlp.dev/lock-host': 'ci-7',
      'mlp.dev/lock-pid': '99',
      'mlp.dev/lock-command': 'mlp rollback api',
      'mlp.dev/lock-since': '2026-12-03T07:00:00.000Z',
    });
    expect(lease.spec).toMatchObject({ holderIdentity: holder.id, leaseDurationSeconds: 30, renewTime: now });
  });

  it('names its holder as written', () => {
    expect(leaseHolder(readBack(lease))).toEqual(holder);
  });

  it('is held until renewTime + leaseDurationSeconds, then expired', () => {
    expect(leaseState(readBack(lease), new Date('2026-12-03T07:00:39.000Z'))).toEqual({ kind: 'held', holder });
    expect(leaseState(readBack(lease), new Date('2026-12-03T07:00:41.000Z'))).toEqual({
      kind: 'expired',
      holder,
      expiredAt: new Date('2026-12-03T07:00:40.000Z'),
    });
  });

  it('is free when its holder was cleared', () => {
    expect(leaseState({ spec: { holderIdentity: '', renewTime: asMicroTime(now) } }, now)).toEqual({ kind: 'released' });
    expect(leaseState({ spec: {} }, now)).toEqual({ kind: 'released' });
  });

  it('of another tool names its holderIdentity and acquire time', () => {
    const foreign: V1Lease = readBack({
      spec: { holderIdentity: 'controller-x', acquireTime: asMicroTime(now), renewTime: asMicroTime(now) },
    });
    expect(leaseHolder(foreign)).toMatchObject({ user: 'controller-x', since: now.toISOString(), operation: 'unknown' });
  });
});
