/**
 * Playing the kubelet for a training Job's pod on the bench (test/bench/kube/kwok-stages.yaml,
 * pod-complete-on-signal): kwok runs no containers, so in namespaces named mlp-hold-* a Job's pod stays Running
 * until the test has run the container itself (or decided how it ends) and annotates the pod with the exit code.
 * What the "container" printed is served as the pod's log from the file kube.sh's ClusterLogs follows.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubeconfigPath } from './bench.js';

/** The only namespace whose pods' logs kwok serves (from heldJobLogFile). */
export const HELD_NAMESPACE = 'mlp-hold-training';

export function heldJobLogFile(): string {
  return path.join(path.dirname(kubeconfigPath()), 'hold-training.log');
}

export function clearHeldJobLog(): void {
  writeFileSync(heldJobLogFile(), '');
}

/** Appends lines to the held pods' log, in the CRI log format kwok reads. */
export function writeHeldJobLog(lines: readonly string[]): void {
  appendFileSync(heldJobLogFile(), lines.map((line) => `${new Date().toISOString()} stdout F ${line}\n`).join(''));
}

/** The newest pod of a Job in the namespace created after `since`, once it exists. */
export async function waitForJobPod(kubeConfig: KubeConfig, namespace: string, since: Date, timeoutMs: number): Promise<V1Pod> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { items } = await core
      .listNamespacedPod({ namespace, labelSelector: 'batch.kubernetes.io/job-name' })
      .catch(() => ({ items: [] as V1Pod[] }));
    const pod = items.find(
      (candidate) =>
        (candidate.metadata?.creationTimestamp?.getTime() ?? 0) >= since.getTime() - 1000 && candidate.status?.phase === 'Running',
    );
    if (pod) return pod;
    if (Date.now() > deadline) throw new Error(`no running Job pod in ${namespace} within ${timeoutMs} ms`);
    await sleep(500);
  }
}

/** Ends the held pod with `exitCode` (kwok then marks it Succeeded or Failed, and the Job controller the Job). */
export async function endHeldPod(kubeConfig: KubeConfig, pod: V1Pod, exitCode: number): Promise<void> {
  const { CoreV1Api, PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  await kubeConfig.makeApiClient(CoreV1Api).patchNamespacedPod(
    {
      name: pod.metadata!.name!,
      namespace: pod.metadata!.namespace!,
      body: { metadata: { annotations: { 'bench.mlp.dev/exit-code': String(exitCode) } } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
