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

/** How a Deployment's revision is recorded. */
export const deploymentKey = (namespace: string, name: string): string => `deployment/${namespace}/${name}`;

/** How a container the local deployer started is recorded. */
export const containerKey = (container: string): string => `container/${container}`;
