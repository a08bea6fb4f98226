import { describe, expect, it } from 'vitest';
import { configSchema, fileSchema, profileSchema } from './schema.js';

const minimal = { apiVersion: 'mlp/v1', name: 'fraud', services: [{ name: 'fraud', model: { source: 'training' } }] };
const paths = (result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }) =>
  (result.error?.issues ?? []).map((issue) => issue.path.join('.'));

describe('configSchema', () => {
  it('fills defaults down to nested sections', () => {
    const config = configSchema.parse({
      ...minimal,
      cluster: { name: 'ml' },
      registry: {},
      services: [{ name: 'fraud', model: { source: 'sagemaker', endpoint: 'fraud-prod' }, autoscaling: {}, smoke: [{ path: '/ready' }] }],
    });
    expect(config.cluster).toEqual({
      name: 'ml',
      namespace: 'ml-platform',
      scaling: { up: { min: 2, max: 4, desired: 2 }, down: { min: 0, max: 4, desired: 0 } },
    });
    expect(config.registry).toEqual({ type: 'ecr', keepImages: 30, expireDays: 90 });
    const [service] = config.services;
    expect(service!.model).toEqual({ source: 'sagemaker', endpoint: 'fraud-prod', contentType: 'application/json' });
    expect(service!.autoscaling).toEqual({ enabled: true, min: 2, max: 10, targetCPU: 70 });
    expect(service!.smoke).toEqual([{ method: 'GET', path: '/ready', expectStatus: 200 }]);
  });

  it('keeps Kubernetes quantities and environment values as strings', () => {
    const config = configSchema.parse({
      ...minimal,
      services: [
        {
          name: 'a',
          model: { source: 'training' },
          resources: { requests: { cpu: 1 }, limits: { memory: '1Gi' } },
          env: { N: 3, ON: true },
        },
      ],
    });
    expect(config.services[0]!.resources).toEqual({ requests: { cpu: '1', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } });
    expect(config.services[0]!.env).toEqual({ N: '3', ON: 'true' });
  });

  it('needs an S3 artifacts location for remote training, and checks it and the IRSA role', () => {
    const training = (remote: object) => configSchema.safeParse({ ...minimal, training: { command: 'python train.py', remote } });
    const missing = training({ enabled: true });
    expect(paths(missing)).toEqual(['training.remote.artifacts']);
    expect(missing.error?.issues[0]?.message).toContain('is required when remote training is enabled');
    expect(paths(training({ enabled: true, artifacts: 'https://bucket/models', roleArn: 'fraud-training' }))).toEqual([
      'training.remote.artifacts',
      'training.remote.roleArn',
    ]);
    expect(training({ enabled: false }).success).toBe(true);
    expect(
      training({ enabled: true, artifacts: 's3://my-ml-artifacts/models', roleArn: 'arn:aws:iam::123456789012:role/fraud-training' })
        .success,
    ).toBe(true);
  });

  it('checks cross-field rules: sizes, registry url, GET bodies', () => {
    const result = configSchema.safeParse({
      ...minimal,
      cluster: { name: 'ml', scaling: { up: { min: 3, max: 2 }, down: { desired: 9 } } },
      registry: { type: 'generic' },
      services: [{ name: 'a', model: { source: 'training' }, smoke: [{ path: '/p', body: { x: 1 } }] }],
    });
    expect(paths(result).sort()).toEqual([
      'cluster.scaling.down.desired',
      'cluster.scaling.up.max',
      'registry.url',
      'services.0.smoke.0.body',
    ]);
    // ECR through another host name (a proxy; the local registry in tests) is allowed; a scheme is not.
    expect(configSchema.safeParse({ ...minimal, registry: { url: '127.0.0.1:5000' } }).success).toBe(true);
    expect(configSchema.safeParse({ ...minimal, registry: { url: 'https://127.0.0.1:5000' } }).success).toBe(false);
    expect(configSchema.safeParse({ ...minimal, registry: { type: 'generic', url: '127.0.0.1:5000' } }).success).toBe(true);
    expect(configSchema.safeParse({ ...minimal, registry: { url: '123456789012.dkr.ecr.us-east-1.amazonaws.com' } }).success).toBe(true);
  });

  it("checks a service's serviceAccount and expose sections", () => {
    const service = (extra: object) => ({ ...minimal, services: [{ name: 'a', model: { source: 'training' }, ...extra }] });
    const parsed = configSchema.parse(service({ serviceAccount: { roleArn: 'arn:aws:iam::123456789012:role/fraud-serving' }, expose: {} }));
    expect(parsed.services[0]!.expose).toEqual({ type: 'none' });
    expect(configSchema.parse(minimal).services[0]).not.toHaveProperty('expose');
    expect(
      configSchema.safeParse(service({ expose: { type: 'ingress', host: 'fraud.example.com', ingressClassName: 'alb' } })).success,
    ).toBe(true);
    const bad = configSchema.safeParse(
      service({
        serviceAccount: { roleArn: 'fraud-role', extra: 1 },
        expose: { type: 'nlb', host: 'fraud.example.com', ingressClassName: 'Bad Class' },
      }),
    );
    expect([...new Set(paths(bad))].sort()).toEqual([
      'services.0.expose.host',
      'services.0.expose.ingressClassName',
      'services.0.serviceAccount',
      'services.0.serviceAccount.roleArn',
    ]);
    expect(paths(configSchema.safeParse(service({ expose: { type: 'ingress', host: 'https://fraud.example.com/' } })))).toEqual([
      'services.0.expose.host',
    ]);
  });

  it('routes services by expose.path through one Ingress only when they agree on host and class, each prefix once', () => {
    const routed = (name: string, expose: object) => ({ name, model: { source: 'training' }, expose: { type: 'ingress', ...expose } });
    const ok = configSchema.safeParse({
      ...minimal,
      services: [routed('a', { path: '/a', ingressClassName: 'alb' }), routed('b', { path: '/b', ingressClassName: 'alb' })],
    });
    expect(ok.success).toBe(true);
    const bad = configSchema.safeParse({
      ...minimal,
      services: [
        routed('a', { path: '/a', ingressClassName: 'alb' }),
        routed('b', { path: '/a', ingressClassName: 'nginx' }),
        routed('c', { path: 'c/' }),
        { name: 'd', model: { source: 'training' }, expose: { type: 'nlb', path: '/d' } },
      ],
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'services.2.expose.path: must be a URL path such as /fraud: "/" and segments of letters, digits, ".", "_", "~" and "-", no trailing "/"',
      'services.3.expose.path: is only used with type: ingress (type is nlb)',
    ]);
    const clash = configSchema.safeParse({
      ...minimal,
      services: [routed('a', { path: '/a', ingressClassName: 'alb' }), routed('b', { path: '/a', ingressClassName: 'nginx' })],
    });
    expect(clash.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'services.1.expose.ingressClassName: is "nginx" but services[0].expose.ingressClassName is "alb"; the services routed by expose.path share one Ingress, so give them the same ingressClassName',
      'services.1.expose.path: duplicates services[0].expose.path "/a"; each service needs its own prefix',
    ]);
  });

  it('rejects unknown keys, a wrong apiVersion and no services', () => {
    expect(paths(configSchema.safeParse({ ...minimal, apiVersion: 'mlp/v2', extra: 1 }))).toEqual(['apiVersion', '']);
    expect(paths(configSchema.safeParse({ ...minimal, services: [] }))).toEqual(['services']);
  });
});

describe('profileSchema', () => {
  it('accepts a partial overlay without filling defaults', () => {
    const overlay = profileSchema.parse({
      name: 'dev',
      deploy: { target: 'eks' },
      services: [{ name: 'fraud', replicas: 1 }],
      cluster: { namespace: 'dev' },
    });
    expect(overlay).toEqual({
      name: 'dev',
      deploy: { target: 'eks' },
      services: [{ name: 'fraud', replicas: 1 }],
      cluster: { namespace: 'dev' },
    });
  });

  it('still rejects unknown keys at their own place, and needs service names', () => {
    const result = profileSchema.safeParse({ name: 'dev', deploy: { targt: 'eks' }, services: [{ replicas: 1 }], apiVersion: 'mlp/v1' });
    expect(paths(result).sort()).toEqual(['', 'deploy', 'services.0.name']);
  });

  it('is part of the file schema, which rejects duplicate profile names', () => {
    const result = fileSchema.safeParse({ ...minimal, profiles: [{ name: 'dev' }, { name: 'dev' }] });
    expect(paths(result)).toEqual(['profiles.1.name']);
  });
});
