/**
 * The eks target's lock as a coordination.k8s.io/v1 Lease, as leader election keeps one: holderIdentity names the
 * holder, renewTime + leaseDurationSeconds says until when it holds it, and mlp's annotations say who that is in
 * words. Pure: the Lease objects are built and read here, lease-lock.ts sends them.
 */
import type { V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { parseHolder, type LockHolder } from './holder.js';

export const LEASE_DURATION_SECONDS = 30;
export const RENEW_EVERY_MS = 10_000;
const ANNOTATION = 'mlp.dev/lock-';
const HOLDER_FIELDS = ['id', 'operation', 'user', 'host', 'pid', 'command', 'since'] as const;

/** `mlp-<project>-lock`; a project name is already a DNS label, so the Lease name is a valid one. */
export const leaseName = (project: string): string => `mlp-${project}-lock`;

/** The Lease `holder` holds as of `now`; `microTime` is KubeClient.microTime (the API wants microseconds). */
export function leaseFor(
  options: { name: string; namespace: string; project: string; holder: LockHolder; now: Date; transitions: number },
  microTime: (at: Date) => V1MicroTime,
): V1Lease {
  const { holder } = options;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      // Not mlp.dev/project: the lock is no rendered object, and prune must never see it.
      labels: { 'app.kubernetes.io/managed-by': 'mlp', 'mlp.dev/lock-of': options.project },
      annotations: Object.fromEntries(HOLDER_FIELDS.map((field) => [`${ANNOTATION}${field}`, String(holder[field])])),
    },
    spec: {
      holderIdentity: holder.id,
      leaseDurationSeconds: LEASE_DURATION_SECONDS,
      acquireTime: microTime(new Date(holder.since)),
      renewTime: microTime(options.now),
      leaseTransitions: options.transitions,
    },
  };
}

/** Who a Lease names as its holder, from mlp's annotations (or only its holderIdentity, for a Lease mlp did not write). */
export function leaseHolder(lease: V1Lease): LockHolder {
  const annotations = lease.metadata?.annotations ?? {};
  const fields = Object.fromEntries(
    HOLDER_FIELDS.flatMap((field) => {
      const value = annotations[`${ANNOTATION}${field}`];
      return value === undefined ? [] : [[field, value]];
    }),
  );
  const holder = parseHolder({ id: lease.spec?.holderIdentity, ...fields })!;
  if (holder.user === 'unknown' && lease.spec?.holderIdentity) holder.user = lease.spec.holderIdentity;
  if (holder.since === 'unknown' && lease.spec?.acquireTime) holder.since = timeOf(lease.spec.acquireTime).toISOString();
  return holder;
}

/** client-node hands MicroTime fields back as the API's strings, whatever their declared type says. */
function timeOf(value: V1MicroTime | string): Date {
  return new Date(value as unknown as string);
}

export type LeaseState =
  { kind: 'held'; holder: LockHolder } | { kind: 'released' } | { kind: 'expired'; holder: LockHolder; expiredAt: Date };

/** Whether `lease` is held at `now`: a holder that has not renewed within leaseDurationSeconds is gone. */
export function leaseState(lease: V1Lease, now: Date): LeaseState {
  const spec = lease.spec ?? {};
  if (!spec.holderIdentity) return { kind: 'released' };
  const holder = leaseHolder(lease);
  const renewed = spec.renewTime ?? spec.acquireTime;
  if (renewed === undefined) return { kind: 'expired', holder, expiredAt: new Date(0) };
  const expiredAt = new Date(timeOf(renewed).getTime() + (spec.leaseDurationSeconds ?? LEASE_DURATION_SECONDS) * 1000);
  return expiredAt.getTime() < now.getTime() ? { kind: 'expired', holder, expiredAt } : { kind: 'held', holder };
}
