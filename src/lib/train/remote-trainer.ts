/**
 * The train stage on the cluster (training.remote.enabled, or mlp train --remote): build and push the training
 * image, apply a Job that runs the training command in it, stream its log until it completes, then download the
 * model the image uploaded to training.remote.artifacts, validate it and register it as the new version — the
 * same registry and checks as local training. Nothing is registered unless every step succeeds.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { CommandContext } from '../context.js';
import { MlpError } from '../errors.js';
import { applyObjects } from '../kube/apply.js';
import { openKubeClient, type KubeClient } from '../kube/client.js';
import { jobEnded, watchTrainingJob } from '../kube/job-watch.js';
import { namespaceOf } from '../render/render-context.js';
import { artifactLocation, downloadModelArtifacts, ensureArtifactBucket } from '../model/artifacts.js';
import { nextVersion } from '../model/registry.js';
import { clusterForRun } from '../per-run.js';
import { registerStaged, withStaging } from '../model/staged-version.js';
import type { TrainResult } from './train-result.js';

/** The training container's name in templates/k8s/training/job.yaml. */
const TRAINING_CONTAINER = 'train';

export async function trainRemotely(
  context: CommandContext,
  signal: AbortSignal,
  now: () => Date = () => new Date(),
): Promise<TrainResult> {
  const project = await context.loadConfig();
  const { config } = project;
  const remote = config.training?.remote;
  if (!remote?.enabled || remote.artifacts === undefined)
    throw new Error('trainRemotely needs training.remote.enabled and artifacts (the schema requires them together)');
  const log = (line: string): void => context.output.info(line);
  const region = config.aws.region;

  const version = await nextVersion(project.dir, config.name, now());
  const location = artifactLocation(remote.artifacts, config.name, version);
  // Before anything runs on the cluster: an unreachable or forbidden bucket would otherwise surface only after training.
  await ensureArtifactBucket(location, region, signal, log, context.io.env);

  const [{ buildProject }, { pushProject }, { renderManifests }] = await Promise.all([
    import('../image/builder.js'),
    import('../image/pusher.js'),
    import('../render/renderer.js'),
  ]);
  await buildProject(context, { trainingOnly: true }, 'lines');
  if (config.registry) await pushProject(context, { trainingOnly: true });

  // Training runs on the cluster whatever deploy.target says: an EKS cluster (cluster.name) is reached the EKS way.
  // On the eks target that is the cluster the deploy goes to, so the run reaches it once for both.
  const access =
    config.deploy.target === 'eks'
      ? await clusterForRun(context)
      : await openKubeClient({ ...config, deploy: { ...config.deploy, target: 'eks' } }, context.io.env, signal);
  log(`cluster: ${access.source}`);
  const namespace = namespaceOf(config);
  const objects = (await renderManifests(project, {
    workloads: 'training',
    training: { version, artifactsUri: location.uri },
    warn: (line) => context.output.warn(line),
  })) as KubernetesObject[];
  const job = objects.find((object) => object.kind === 'Job')!;
  const jobName = job.metadata!.name!;
  await applyObjects(access, objects, { project: config.name, namespace, dryRun: false, prune: false, log });
  log(`training ${config.name} ${version} in Job ${jobName} (namespace ${namespace}); the model goes to ${location.uri}`);

  const outcome = await watchTrainingJob(
    access,
    { namespace, name: jobName, container: TRAINING_CONTAINER, timeoutSeconds: config.training!.timeoutSeconds },
    signal,
    log,
  ).catch(async (error: unknown) => {
    if (signal.aborted) {
      await deleteJob(access, namespace, jobName).catch(() => undefined);
      throw new MlpError('interrupted', `Training was interrupted; Job ${jobName} was deleted and nothing was registered.`);
    }
    // Given up on while still active (no image, no node, no quota, no end in sight): a Job left behind could still
    // train once the cause goes away and upload a model nobody registers. A finished Job stays for inspection.
    if (error instanceof MlpError && (await deleteJobIfActive(access, namespace, jobName).catch(() => false))) {
      throw new MlpError(error.kind, error.message, {
        details: [...error.details, `Job ${jobName} was deleted, so it cannot train later unobserved`],
        hint: error.hint,
      });
    }
    throw error;
  });

  return withStaging(project.dir, version, async (staging) => {
    const manifest = await downloadModelArtifacts(location, staging, region, signal, context.io.env);
    log(`downloaded ${manifest.files.length} files (${(manifest.bytes / 1e6).toFixed(1)} MB) from ${location.uri}`);
    if (manifest.version !== version)
      log(`warning: ${location.uri}mlp-manifest.json says version "${manifest.version}", registered as ${version}`);
    return {
      ...(await registerStaged(project.dir, config.name, version, staging, log)),
      venv: undefined,
      trainingSeconds: outcome.seconds,
      remote: { job: jobName, namespace, cluster: access.source, artifacts: location.uri, pod: outcome.pod },
    };
  });
}

/** Ctrl-C stops the training on the cluster too: a Job left running would upload a model nobody registers. */
async function deleteJob(kube: KubeClient, namespace: string, name: string): Promise<void> {
  await kube.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' });
}

/** Deletes the Job unless it has finished (Complete or Failed); resolves whether it did. */
async function deleteJobIfActive(kube: KubeClient, namespace: string, name: string): Promise<boolean> {
  const job = await kube.batch.readNamespacedJob({ name, namespace });
  if (jobEnded(job)) return false;
  await deleteJob(kube, namespace, name);
  return true;
}
