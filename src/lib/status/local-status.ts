/**
 * One service on the local target, as `mlp status` shows it: the container the local deployer runs for it
 * (mlp-<project>-<service>, src/lib/deploy/local.ts), its state and the image's health check, its published ports and
 * image, and whether it answers GET /ready on 127.0.0.1:<services[].port>.
 */
import type { ServiceConfig } from '../config/schema.js';
import { containerName, serviceUrl } from '../deploy/local.js';
import { containerDetails, type DockerCli } from '../docker.js';
import { fetchWithin } from '../http.js';
import type { ServiceStatus } from './service-status.js';

/** The serving image's label with its model version (templates/docker/serving.Dockerfile). */
const IMAGE_VERSION_LABEL = 'org.opencontainers.image.version';

export async function localServiceStatus(
  cli: DockerCli,
  project: string,
  service: ServiceConfig,
  signal?: AbortSignal,
): Promise<ServiceStatus> {
  const name = containerName(project, service.name);
  const details = await containerDetails(cli, name);
  const base = { service: service.name, target: 'local' as const, replicas: null, rollout: null, autoscaler: null };
  if (!details) {
    return {
      ...base,
      healthy: false,
      problems: [`no container ${name} (not deployed on this machine)`],
      image: null,
      version: null,
      lastDeploy: null,
      endpoint: null,
      container: { name, state: 'missing', health: null, ready: false, exitCode: null, ports: [] },
    };
  }
  const published = details.ports.find((port) => port.host.startsWith('127.0.0.1:'))?.host;
  const url = published ? `http://${published}` : serviceUrl(service);
  const ready = details.running && (await answersReady(url, signal));
  const problems: string[] = [];
  if (!details.running) problems.push(`container ${name} is not running (${details.status}, exit code ${details.exitCode})`);
  else if (details.health === 'unhealthy') problems.push(`container ${name} fails its health check (GET /ready)`);
  else if (!ready && details.health !== 'starting') problems.push(`container ${name} runs but ${url}/ready does not answer 200`);
  const reference = details.image;
  const lastSegment = reference.slice(reference.lastIndexOf('/') + 1);
  return {
    ...base,
    healthy: problems.length === 0,
    problems,
    image: {
      reference,
      tag: lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : null,
      digest: null,
      id: details.imageId,
    },
    version: details.labels[IMAGE_VERSION_LABEL] || null,
    lastDeploy: { revision: null, at: details.createdAt.toISOString() },
    endpoint: { kind: 'local', url, address: published ?? null },
    container: {
      name,
      state: details.status,
      // A stopped container keeps its last health verdict; it says nothing about a container that does not run.
      health: details.running ? (details.health ?? null) : null,
      ready,
      exitCode: details.running ? null : details.exitCode,
      ports: details.ports.map((port) => `${port.container} → ${port.host}`),
    },
  };
}

async function answersReady(url: string, signal?: AbortSignal): Promise<boolean> {
  return fetchWithin(`${url}/ready`, {}, 2000, signal).then(
    (answer) => answer.ok,
    () => false,
  );
}
