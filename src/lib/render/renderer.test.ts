import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProjectConfig } from '../config/load.js';
import { EXIT_CODES, MlpError } from '../errors.js';
import { writeBuildRecord, type BuildRecord } from '../image/build-record.js';
import { packageFile } from '../package-root.js';
import { KIND_ORDER, renderManifests, type RenderedObject, type RenderOptions } from './renderer.js';
import { toYaml } from './serialize.js';

const EXAMPLE = packageFile('examples/fraud/mlp.yaml');
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** examples/fraud/mlp.yaml in a fresh directory (no build records), changed by `edit`. */
async function project(edit: (text: string) => string = (text) => text, profile?: string) {
  const dir = await mkdtemp(path.join(tmpdir(), 'mlp-render-'));
  dirs.push(dir);
  await writeFile(path.join(dir, 'mlp.yaml'), edit(await readFile(EXAMPLE, 'utf8')));
  return loadProjectConfig({ dir, env: {}, ...(profile ? { profile } : {}) });
}

async function render(edit?: (text: string) => string, options: RenderOptions = {}, profile?: string) {
  const warnings: string[] = [];
  const objects = await renderManifests(await project(edit, profile), { warn: (line) => warnings.push(line), ...options });
  return { objects, warnings };
}

const ofKind = (objects: RenderedObject[], kind: string) => objects.filter((object) => object.kind === kind);
const one = (objects: RenderedObject[], kind: string) => {
  const found = ofKind(objects, kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as RenderedObject & { spec: any };
};

const remoteTraining = (text: string) =>
  text.replace(
    '  timeoutSeconds: 1800\n',
    '  timeoutSeconds: 1800\n  remote:\n    enabled: true\n    artifacts: s3://fraud-models/models\n    roleArn: "arn:aws:iam::123456789012:role/fraud-training"\n    resources: { requests: { cpu: "2", memory: 4Gi }, limits: { cpu: "2", memory: 4Gi } }\n    gpus: 1\n',
  );
const withService = (lines: string) => (text: string) => text.replace('    replicas: 2\n', `    replicas: 2\n${lines}`);

describe('renderManifests on examples/fraud', () => {
  it('renders the project and service objects in apply order', async () => {
    const { objects } = await render();
    expect(objects.map((object) => object.kind)).toEqual([
      'Namespace',
      'ResourceQuota',
      'LimitRange',
      'ServiceAccount',
      'ConfigMap',
      'Service',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'NetworkPolicy',
    ]);
    const ranks = objects.map((object) => KIND_ORDER.indexOf(object.kind as (typeof KIND_ORDER)[number]));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (const object of objects.slice(1)) expect(object.metadata.namespace, object.kind).toBe('ml-platform');
  });

  it("puts mlp's labels on every object; service objects also name the service and the version", async () => {
    const { objects } = await render(remoteTraining, { serviceMonitor: true });
    for (const object of objects) {
      expect(object.metadata.labels, object.kind).toMatchObject({
        'app.kubernetes.io/part-of': 'fraud',
        'app.kubernetes.io/managed-by': 'mlp',
        'mlp.dev/project': 'fraud',
      });
      expect(object.metadata.labels?.['app.kubernetes.io/name'], object.kind).toBe('fraud');
      expect(object.metadata.labels?.['app.kubernetes.io/instance'], object.kind).toMatch(/^fraud(-fraud|-training)?$/);
    }
    // A training run's objects are marked so that mlp deploy's pruning leaves them alone.
    const training = objects.filter((object) => object.metadata.labels?.['app.kubernetes.io/instance'] === 'fraud-training');
    expect(training.map((object) => object.kind)).toEqual(['ServiceAccount', 'Job']);
    for (const object of training) expect(object.metadata.labels?.['app.kubernetes.io/component']).toBe('training');
    const serviceObjects = objects.filter(
      (object) => !['Namespace', 'ResourceQuota', 'LimitRange'].includes(object.kind) && !training.includes(object),
    );
    expect(serviceObjects.length).toBeGreaterThanOrEqual(8);
    for (const object of serviceObjects) {
      expect(object.metadata.labels, object.kind).toMatchObject({
        'app.kubernetes.io/instance': 'fraud-fraud',
        'app.kubernetes.io/version': 'latest',
        'mlp.dev/service': 'fraud',
      });
    }
    const deployment = one(objects, 'Deployment');
    expect(deployment.spec.template.metadata.labels).toEqual(deployment.metadata.labels);
    expect(deployment.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'fraud',
      'app.kubernetes.io/instance': 'fraud-fraud',
    });
  });

  it('runs the serving container non-root with a read-only root filesystem, probes and a /tmp emptyDir', async () => {
    const { objects } = await render();
    const pod = one(objects, 'Deployment').spec.template.spec;
    const [container] = pod.containers;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes[0]).toMatchObject({ name: 'tmp', emptyDir: {} });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container.startupProbe.httpGet.path).toBe('/health');
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(
      pod.topologySpreadConstraints.map((c: { topologyKey: string; whenUnsatisfiable: string }) => [c.topologyKey, c.whenUnsatisfiable]),
    ).toEqual([
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
      ['kubernetes.io/hostname', 'ScheduleAnyway'],
    ]);
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toEqual({ PORT: '8080', SHUTDOWN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '10000', MODEL_NAME: 'fraud' });
    // SIGKILL must not come before the app's own drain deadline.
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(env.SHUTDOWN_DELAY_MS) + Number(env.SHUTDOWN_TIMEOUT_MS));
    expect(one(objects, 'Deployment').spec.progressDeadlineSeconds).toBe(300);
  });

  it("takes the HPA's bounds and targets from autoscaling, and leaves replicas to it", async () => {
    const { objects } = await render();
    const hpa = one(objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fraud' },
    });
    expect(
      hpa.spec.metrics.map((m: { resource: { name: string; target: { averageUtilization: number } } }) => [
        m.resource.name,
        m.resource.target.averageUtilization,
      ]),
    ).toEqual([
      ['cpu', 70],
      ['memory', 80],
    ]);
    expect(one(objects, 'Deployment').spec).not.toHaveProperty('replicas');
    expect(one(objects, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1 });
    expect(one(objects, 'NetworkPolicy').spec.ingress).toEqual([{ ports: [{ port: 8080, protocol: 'TCP' }] }]);
    // 10 replicas plus the 25 % surge of a rollout at that size.
    expect(one(objects, 'ResourceQuota').spec.hard).toEqual({
      'requests.cpu': '3250m',
      'requests.memory': '3328Mi',
      'limits.cpu': '6500m',
      'limits.memory': '6656Mi',
      pods: '13',
    });
  });

  it('without autoscaling (the dev profile) sets replicas and renders no HPA; without targetMemory, CPU only', async () => {
    const { objects } = await render(undefined, {}, 'dev');
    expect(ofKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(one(objects, 'Deployment').spec.replicas).toBe(1);
    const cpuOnly = await render((text) => text.replace('      targetMemory: 80\n', ''));
    expect(one(cpuOnly.objects, 'HorizontalPodAutoscaler').spec.metrics).toHaveLength(1);
  });

  it('renders no Job without remote training, and the training Job with it', async () => {
    expect(ofKind((await render()).objects, 'Job')).toEqual([]);
    const { objects, warnings } = await render(remoteTraining);
    const job = one(objects, 'Job');
    expect(job.metadata.name).toMatch(/^fraud-train-[0-9a-f]{10}$/);
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 1800 });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.serviceAccountName).toBe('fraud-training');
    const [container] = pod.containers;
    expect(container.image).toBe('fraud/training.job:latest');
    // args, so that the image's entrypoint runs the command and then uploads the model
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(['python', 'train.py', '--out', '$(MLP_OUTPUT_DIR)']);
    expect(container.env).toContainEqual({ name: 'MLP_OUTPUT_DIR', value: '/opt/mlp/output' });
    expect(container.resources).toEqual({
      requests: { cpu: '2', memory: '4Gi' },
      limits: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1' },
    });
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(warnings).toContainEqual(expect.stringContaining('training.job is not built yet'));
    const account = ofKind(objects, 'ServiceAccount').find((object) => object.metadata.name === 'fraud-training')!;
    expect(account.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/fraud-training' });
    // The same inputs name the same Job (a re-apply is a no-op); other inputs a new one (its template is immutable).
    expect(one((await render(remoteTraining)).objects, 'Job').metadata.name).toBe(job.metadata.name);
    const longer = await render((text) => remoteTraining(text).replace('timeoutSeconds: 1800', 'timeoutSeconds: 3600'));
    expect(one(longer.objects, 'Job').metadata.name).not.toBe(job.metadata.name);
  });

  it("gives a training run's Job its version and artifacts location, and leaves training out of what deploy applies", async () => {
    const { objects } = await render(remoteTraining, {
      workloads: 'training',
      training: { version: '20261201T101500Z', artifactsUri: 's3://fraud-models/models/fraud/20261201T101500Z/' },
    });
    expect(objects.map((object) => object.kind)).toEqual(['Namespace', 'ResourceQuota', 'LimitRange', 'ServiceAccount', 'Job']);
    const env = one(objects, 'Job').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'MLP_MODEL_VERSION', value: '20261201T101500Z' });
    expect(env).toContainEqual({ name: 'MLP_ARTIFACTS_URI', value: 's3://fraud-models/models/fraud/20261201T101500Z/' });
    expect(one(objects, 'Job').metadata.labels?.['app.kubernetes.io/version']).toBe('20261201T101500Z');
    const deployed = (await render(remoteTraining, { workloads: 'services' })).objects;
    expect(deployed.filter((object) => object.metadata.labels?.['app.kubernetes.io/component'] === 'training')).toEqual([]);
    expect(ofKind(deployed, 'Deployment')).toHaveLength(1);
  });

  it('annotates the ServiceAccount for IRSA and exposes through an ALB Ingress or an NLB Service', async () => {
    const ingress = await render(
      withService(
        '    serviceAccount: { roleArn: "arn:aws:iam::123456789012:role/fraud" }\n    expose: { type: ingress, host: fraud.example.com, ingressClassName: alb }\n',
      ),
    );
    expect(one(ingress.objects, 'ServiceAccount').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/fraud',
    });
    const rule = one(ingress.objects, 'Ingress');
    expect(rule.spec.ingressClassName).toBe('alb');
    expect(rule.spec.rules[0]).toMatchObject({
      host: 'fraud.example.com',
      http: { paths: [{ path: '/', backend: { service: { name: 'fraud', port: { name: 'http' } } } }] },
    });
    expect(rule.metadata.annotations).toMatchObject({ 'alb.ingress.kubernetes.io/target-type': 'ip' });
    expect(ofKind(ingress.objects, 'Service')).toHaveLength(1);

    const plain = await render(withService('    expose: { type: ingress }\n'));
    const bare = one(plain.objects, 'Ingress');
    expect(bare.metadata).not.toHaveProperty('annotations');
    expect(bare.spec).not.toHaveProperty('ingressClassName');
    expect(bare.spec.rules[0]).not.toHaveProperty('host');
    expect(one(plain.objects, 'ServiceAccount').metadata).not.toHaveProperty('annotations');

    const nlb = await render(withService('    expose: { type: nlb }\n'));
    expect(ofKind(nlb.objects, 'Ingress')).toEqual([]);
    const services = ofKind(nlb.objects, 'Service') as Array<RenderedObject & { spec: any }>;
    const internal = services.find((service) => service.metadata.name === 'fraud');
    const external = services.find((service) => service.metadata.name !== 'fraud');
    expect(internal!.spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 80, targetPort: 'http' }] });
    expect(external!.metadata.name).toBe('fraud-public');
    expect(external!.spec.type).toBe('LoadBalancer');
    expect(external!.metadata.annotations).toMatchObject({ 'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip' });
  });

  it('routes the services with expose.path through one project Ingress, and tells each its BASE_PATH', async () => {
    const { objects } = await render(withService('    expose: { type: ingress, ingressClassName: alb, path: /fraud }\n'));
    const [ingress, ...others] = ofKind(objects, 'Ingress');
    expect(others).toEqual([]);
    expect(ingress!.metadata.name).toBe('fraud');
    expect(ingress!.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'fraud', 'mlp.dev/project': 'fraud' });
    expect(ingress!.spec).toEqual({
      ingressClassName: 'alb',
      rules: [
        { http: { paths: [{ path: '/fraud', pathType: 'Prefix', backend: { service: { name: 'fraud', port: { name: 'http' } } } }] } },
      ],
    });
    const container = one(objects, 'Deployment').spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'BASE_PATH', value: '/fraud' });
    // Without a path, no BASE_PATH and the service's own Ingress.
    const own = await render(withService('    expose: { type: ingress }\n'));
    expect(one(own.objects, 'Deployment').spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).not.toContain(
      'BASE_PATH',
    );
  });

  it('renders a ServiceMonitor only when told the CRD exists', async () => {
    expect(ofKind((await render()).objects, 'ServiceMonitor')).toEqual([]);
    const { objects } = await render(undefined, { serviceMonitor: true });
    expect(objects.at(-1)!.kind).toBe('ServiceMonitor');
    expect(one(objects, 'ServiceMonitor').spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
  });

  it('uses the pushed digest, else the local content tag, else a placeholder with a warning', async () => {
    const loaded = await project();
    const record: BuildRecord = {
      service: 'fraud',
      repository: 'fraud/fraud',
      contentHash: 'ab'.repeat(32),
      tags: ['abababababababab', 'git-123456789012'],
      imageId: 'sha256:00',
      platform: 'linux/amd64',
      modelVersion: '20261123T081500Z',
      builtAt: '2026-11-23T08:15:00Z',
      files: [],
      args: {},
    };
    const image = async () => {
      const warnings: string[] = [];
      const objects = await renderManifests(loaded, { warn: (line) => warnings.push(line) });
      const deployment = one(objects, 'Deployment');
      return {
        image: deployment.spec.template.spec.containers[0].image as string,
        version: deployment.metadata.labels!['app.kubernetes.io/version'],
        warnings,
      };
    };
    expect(await image()).toEqual({
      image: 'fraud/fraud:latest',
      version: 'latest',
      warnings: [expect.stringContaining('fraud is not built yet')],
    });
    await writeBuildRecord(loaded.dir, record);
    expect(await image()).toEqual({ image: 'fraud/fraud:abababababababab', version: '20261123T081500Z', warnings: [] });
    const reference = `127.0.0.1:5000/fraud/fraud@sha256:${'cd'.repeat(32)}`;
    await writeBuildRecord(loaded.dir, {
      ...record,
      pushed: { repository: '127.0.0.1:5000/fraud/fraud', tags: record.tags, digest: `sha256:${'cd'.repeat(32)}`, reference, pushedAt: '' },
    });
    expect((await image()).image).toBe(reference);
  });

  it('renders only the services asked for, and names an unknown one', async () => {
    const two = (text: string) =>
      `${text.replace('profiles:', 'PROFILES:')}`.replace(/PROFILES:[\s\S]*$/, '') +
      '  - name: other\n    model: { source: sagemaker, endpoint: other-prod }\n';
    const { objects } = await render(two, { services: ['other'] });
    expect(ofKind(objects, 'Deployment').map((d) => d.metadata.name)).toEqual(['other']);
    const env = one(objects, 'Deployment').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'SAGEMAKER_ENDPOINT', value: 'other-prod' });
    expect(env).toContainEqual({ name: 'AWS_REGION', value: 'us-east-1' });
    await expect(render(two, { services: ['othr'] })).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('did you mean other'),
    });
  });

  it('gives the training Job and SageMaker-backed services, only those, the keys of cluster.awsCredentialsSecret by reference', async () => {
    const withSecret = (text: string) =>
      remoteTraining(text)
        .replace('profiles:', 'PROFILES:')
        .replace(/PROFILES:[\s\S]*$/, '')
        .concat('  - name: other\n    model: { source: sagemaker, endpoint: other-prod }\n')
        .replace('deploy:\n', 'cluster: { name: bench, awsCredentialsSecret: aws-credentials }\ndeploy:\n');
    const reference = (key: string, optional = false) => ({
      name: key,
      valueFrom: { secretKeyRef: { name: 'aws-credentials', key, ...(optional ? { optional: true } : {}) } },
    });
    const expected = [reference('AWS_ACCESS_KEY_ID'), reference('AWS_SECRET_ACCESS_KEY'), reference('AWS_SESSION_TOKEN', true)];
    const { objects } = await render(withSecret);
    const envOf = (name: string) =>
      (ofKind(objects, 'Deployment') as Array<RenderedObject & { spec: any }>).find((d) => d.metadata.name === name)!.spec.template.spec
        .containers[0].env;
    expect(envOf('other')).toEqual(expect.arrayContaining(expected));
    expect(envOf('fraud').map((entry: { name: string }) => entry.name)).not.toContain('AWS_ACCESS_KEY_ID');
    const training = await render(withSecret, { workloads: 'training', training: { version: 'v1', artifactsUri: 's3://fraud-models/m/' } });
    expect(one(training.objects, 'Job').spec.template.spec.containers[0].env).toEqual(expect.arrayContaining(expected));
    expect(JSON.stringify(objects)).not.toMatch(/"value":"[^"]*aws-credentials/);
  });

  it('refuses AWS keys in services[].env: they would be in the manifests in plain text', async () => {
    const error = await render(withService('    env: { AWS_SECRET_ACCESS_KEY: "abc" }\n')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlpError);
    expect((error as MlpError).kind).toBe('config');
    expect(String((error as MlpError).message) + (error as MlpError).details.join('\n')).toMatch(
      /services\[0\]\.env\.AWS_SECRET_ACCESS_KEY.*cluster\.awsCredentialsSecret/s,
    );
  });

  it('refuses a PORT in services[].env that is not the container port', async () => {
    const error = await render(withService('    env: { PORT: "9000" }\n')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlpError);
    expect((error as MlpError).exitCode).toBe(EXIT_CODES.render.code);
  });

  it('reports an unknown placeholder in a template with its file and line', async () => {
    const templates = await mkdtemp(path.join(tmpdir(), 'mlp-templates-'));
    dirs.push(templates);
    await mkdir(path.join(templates, 'project'));
    await mkdir(path.join(templates, 'service'));
    await writeFile(path.join(templates, 'project', 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespac}\n');
    const error = await renderManifests(await project(), { templatesDir: templates }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'render',
      message: expect.stringContaining(`${path.join(templates, 'project', 'ns.yaml')}:4:9: unknown placeholder \${namespac}`),
    });
  });
});

describe('toYaml', () => {
  it('writes one document per object that parses back to the same objects, in the same key order', async () => {
    const { objects } = await render(remoteTraining, { serviceMonitor: true });
    const text = toYaml(objects);
    expect(text.split('\n---\n')).toHaveLength(objects.length);
    expect(text).not.toMatch(/[&*]\w+/); // no anchors or aliases for the repeated labels
    const parsed = parseAllDocuments(text);
    expect(Array.isArray(parsed) && parsed.map((doc) => doc.toJS())).toEqual(objects);
    expect(Object.keys(parsed instanceof Array ? (parsed[6]!.toJS() as object) : {})).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });
});
