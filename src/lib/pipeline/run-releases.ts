/**
 * What this run released: the deploy stage records each release it made (a service's new container, a
 * Deployment's new revision) and the test stage rolls back only those. A failing smoke test of a release an
 * earlier run made is not this run's bad release. Kept per command context, i.e. per mlp invocation, so it needs
 * no clock: neither skew between this machine and a cluster nor timestamps in whole seconds can misjudge it.
 */
const releases = new WeakMap<object, Map<string, string>>();

/** `run`: the command context; `workload`: e.g. deployment/<namespace>/<name>; `release`: its revision or container id. */
export function recordRelease(run: object, workload: string, release: string): void {
  let made = releases.get(run);
  if (!made) releases.set(run, (made = new Map()));
  made.set(workload, release);
}

export function releasedThisRun(run: object, workload: string, release: string | undefined): boolean {
  return release !== undefined && releases.get(run)?.get(workload) === release;
}

/** The release this run made of `workload`, if it made one. */
export function releaseThisRun(run: object, workload: string): string | undefined {
  return releases.get(run)?.get(workload);
}

/** How a Deployment's revision is recorded. */
export const deploymentKey = (namespace: string, name: string): string => `deployment/${namespace}/${name}`;

/** How a container the local deployer started is recorded. */
export const containerKey = (container: string): string => `container/${container}`;

/** A rollback this run made: the service, and what it went back to ("revision 3", "the previous container"). */
export interface RollbackRecord {
  service: string;
  to: string;
}

const rollbacks = new WeakMap<object, RollbackRecord[]>();

/** Called by a deployer or verifier once a rollback has finished (the previous release is ready again). */
export function recordRollback(run: object, service: string, to: string): void {
  let made = rollbacks.get(run);
  if (!made) rollbacks.set(run, (made = []));
  made.push({ service, to });
}

export function rollbacksThisRun(run: object): readonly RollbackRecord[] {
  return rollbacks.get(run) ?? [];
}
