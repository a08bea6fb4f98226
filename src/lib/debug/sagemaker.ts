/**
 * `mlp debug sagemaker [service]`: the runbook's "SageMaker calls failing" section as checks, for every service
 * whose model is a SageMaker endpoint — the endpoint (InService?), the pods' credentials (IRSA or the Secret), the
 * region and endpoint the running pods use, a real InvokeEndpoint from here, and the service's own /ready. The
 * checks of one service run in that order; the cluster ones apply to the eks target only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseModelMetadata, type ModelTask } from '../../../serving/src/model-metadata.js';
import type { MlpConfig, ModelSource, ServiceConfig } from '../config/schema.js';
import { selectServices } from '../config/select-services.js';
import type { CommandContext } from '../context.js';
import { MlpError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { clusterForRun } from '../per-run.js';
import { namespaceOf } from '../render/render-context.js';
import type { CheckRecord, DebugTopic } from './check.js';
import { credentialFacts, credentialsRecord } from './sagemaker-credentials.js';
import { describeSageMakerEndpoint, endpointRecord } from './sagemaker-endpoint.js';
import { endpointRequestBody, invokeEndpoint, invokeRecord, smokeBody } from './sagemaker-invoke.js';
import { endpointEnvRecord, podEnv, regionRecord } from './sagemaker-pod-env.js';
import { readyRecord } from './sagemaker-ready.js';

async function readModelMetadataFile(file: string) {
  return parseModelMetadata(JSON.parse(await readFile(file, 'utf8')), file);
}

type SageMakerModel = Extract<ModelSource, { source: 'sagemaker' }>;
type SageMakerService = ServiceConfig & { model: SageMakerModel };

const isSageMakerBacked = (service: ServiceConfig): service is SageMakerService => service.model.source === 'sagemaker';

const sagemaker: DebugTopic = async (context, request) => {
  const { config, dir } = await context.loadConfig();
  const selected = selectServices(config, request.services);
  const backed = selected.filter(isSageMakerBacked);
  if (backed.length === 0) {
    const which = request.services.length > 0 ? `service ${request.services.join(', ')} has no` : 'no service in mlp.yaml has a';
    return [{ check: 'sagemaker.services', status: 'skip', saw: `${which} SageMaker backend (services[].model.source: sagemaker)` }];
  }
  const records: CheckRecord[] = [];
  for (const service of backed) records.push(...(await checkService(context, config, service, await modelTask(dir, service))));
  return records;
};
export default sagemaker;

/**
 * What the service's metadata.json says the model does, to encode the smoke body as the serving app would; a file
 * that is missing or wrong is the build's to report (it refuses to build such an image), so here it is a classifier.
 */
async function modelTask(dir: string, service: SageMakerService): Promise<ModelTask> {
  if (service.model.metadata === undefined) return { type: 'classification' };
  try {
    return (await readModelMetadataFile(path.resolve(dir, service.model.metadata))).task;
  } catch {
    return { type: 'classification' };
  }
}

async function checkService(
  context: CommandContext,
  config: MlpConfig,
  service: SageMakerService,
  task: ModelTask,
): Promise<CheckRecord[]> {
  const { endpoint, contentType } = service.model;
  const region = config.aws.region;
  const { env } = context.io;
  const body = smokeBody(service);
  // The AWS calls from here do not depend on the cluster; they run while the pods are looked at.
  const fromHere = Promise.all([
    describeSageMakerEndpoint(endpoint, region, env, context.signal).then((outcome) =>
      endpointRecord(service.name, endpoint, region, outcome),
    ),
    body === undefined
      ? Promise.resolve(invokeRecord(service.name, endpoint, undefined))
      : invokeEndpoint(endpoint, contentType, endpointRequestBody(body, contentType, task), region, env, context.signal).then((outcome) =>
          invokeRecord(service.name, endpoint, outcome),
        ),
  ]);
  const inCluster = config.deploy.target === 'eks' ? clusterChecks(context, config, service) : Promise.resolve(localSkips(service));
  const [[endpointCheck, invokeCheck], cluster] = await Promise.all([fromHere, inCluster]);
  return [endpointCheck, cluster.credentials, ...cluster.env, invokeCheck, cluster.ready];
}

interface ClusterRecords {
  credentials: CheckRecord;
  env: CheckRecord[];
  ready: CheckRecord;
}

function localSkips(service: SageMakerService): ClusterRecords {
  const skip = (check: string): CheckRecord => ({
    check,
    subject: service.name,
    status: 'skip',
    saw: 'deploy.target is local: the pod checks apply to the eks target',
  });
  return { credentials: skip('sagemaker.pod-credentials'), env: [skip('sagemaker.pod-region')], ready: skip('sagemaker.ready') };
}

async function clusterChecks(context: CommandContext, config: MlpConfig, service: SageMakerService): Promise<ClusterRecords> {
  const kube = await clusterForRun(context);
  const namespace = namespaceOf(config);
  const facts = await credentialFacts(kube, namespace, service.name, service.serviceAccount?.roleArn, config.cluster?.awsCredentialsSecret);
  const credentials = credentialsRecord(service.name, facts);
  const found = await runningPod(kube, namespace, service.name);
  if ('why' in found) {
    const none = (check: string): CheckRecord => ({
      check,
      subject: service.name,
      status: 'fail',
      saw: found.why,
      fix: `mlp debug pods ${service.name} (or mlp deploy when it is not deployed)`,
    });
    return { credentials, env: [none('sagemaker.pod-region'), none('sagemaker.pod-endpoint')], ready: none('sagemaker.ready') };
  }
  const pod = found.pod.metadata!.name!;
  const containers = found.pod.spec?.containers ?? [];
  const container = containers.find((candidate) => candidate.name === 'serving') ?? containers[0]!;
  const env = await podEnv(kube, namespace, container);
  return {
    credentials,
    env: [regionRecord(service.name, pod, env, config.aws.region), endpointEnvRecord(service.name, pod, env, service.model.endpoint)],
    ready: await readyRecord(kube, namespace, service, pod, context.signal),
  };
}

/** A ready pod of the current revision (as `mlp test` picks one), or why there is none. */
async function runningPod(kube: KubeClient, namespace: string, deployment: string): Promise<{ pod: V1Pod } | { why: string }> {
  const { readyPod } = await import('../verify/cluster.js');
  try {
    return { pod: (await readyPod(kube, namespace, deployment)).pod };
  } catch (error) {
    if (error instanceof MlpError) return { why: error.message };
    throw error;
  }
}
