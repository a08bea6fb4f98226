/**
 * Whether something (a container, a ReplicaSet) was created by this mlp run: only a release this run made is
 * rolled back when its smoke test fails. A second of slack, since Kubernetes timestamps have whole seconds.
 */
const RUN_STARTED_AT = performance.timeOrigin;

export function createdThisRun(at: Date): boolean {
  return at.getTime() >= RUN_STARTED_AT - 1000;
}
