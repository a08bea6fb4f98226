import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, EXIT_CODES, UsageError, type ConfigIssue } from '../errors.js';
import { loadProjectConfig, readError, type LoadConfigOptions } from './load.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => path.join(fixtures, name);
const example = path.resolve(import.meta.dirname, '..', '..', '..', 'examples', 'fraud');

function project(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mlp-config-'));
  writeFileSync(path.join(dir, 'mlp.yaml'), yaml);
  return dir;
}

/** Loads and returns the ConfigError it must throw. */
async function failure(options: LoadConfigOptions): Promise<ConfigError> {
  const error = await loadProjectConfig(options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

const where = (issue: ConfigIssue) => `${path.basename(issue.file)}:${issue.line}:${issue.column} ${issue.path}`;

const BASE = ['apiVersion: mlp/v1', 'name: fraud', 'services:', '  - name: fraud', '    model: { source: training }'];

describe('loadProjectConfig', () => {
  it('accepts the bundled example and resolves it without a profile', async () => {
    const project = await loadProjectConfig({ dir: example, env: {} });
    expect(project.file).toBe(path.join(example, 'mlp.yaml'));
    expect(project.dir).toBe(example);
    expect(project.profile).toBeNull();
    const { config } = project;
    expect(config.name).toBe('fraud');
    expect(config.deploy.target).toBe('local');
    expect(config.training?.command).toBe('python train.py --out ${MLP_OUTPUT_DIR}');
    const [service] = config.services;
    expect(service).toMatchObject({
      name: 'fraud',
      model: { source: 'training' },
      replicas: 2,
      autoscaling: { enabled: true, min: 2, max: 10, targetCPU: 70, targetMemory: 80 },
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
    });
    const smoke = service!.smoke[0]!;
    expect(smoke).toMatchObject({ method: 'POST', path: '/predict', expectStatus: 200 });
    expect((smoke.body as { features: number[] }).features).toHaveLength(20);
  });

  it("applies each of the example's profiles", async () => {
    const dev = await loadProjectConfig({ dir: example, profile: 'dev', env: {} });
    expect(dev.profile).toBe('dev');
    expect(dev.config.services[0]).toMatchObject({ replicas: 1, autoscaling: { enabled: false } });
    const eks = await loadProjectConfig({ dir: example, profile: 'eks', env: { AWS_ACCOUNT_ID: '123456789012' } });
    expect(eks.config.deploy.target).toBe('eks');
    expect(eks.config.cluster).toMatchObject({ name: 'ml-platform', namespace: 'ml-platform' });
    expect(eks.config.aws.accountId).toBe('123456789012');
  });

  it('fills the schema defaults for everything the file leaves out', async () => {
    const { config } = await loadProjectConfig({ dir: fixture('minimal'), env: {} });
    expect(config.aws).toEqual({ region: 'us-east-1' });
    expect(config.deploy).toEqual({ target: 'local', timeoutSeconds: 300, rollback: true });
    expect(config.services[0]).toEqual({
      name: 'api',
      model: { source: 'dir', path: 'model' },
      port: 8080,
      replicas: 2,
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
      smoke: [],
    });
    expect(config.training).toBeUndefined();
    expect(config.cluster).toBeUndefined();
  });

  it('returns a deep-frozen configuration: assignment throws', async () => {
    const project = await loadProjectConfig({ dir: example, env: {} });
    expect(Object.isFrozen(project)).toBe(true);
    expect(() => {
      (project.config.services[0] as { replicas: number }).replicas = 5;
    }).toThrow(TypeError);
    expect(() => {
      (project.config.services[0]!.smoke as unknown[]).push({});
    }).toThrow(TypeError);
    expect(() => {
      (project.config.deploy as { target: string }).target = 'eks';
    }).toThrow(TypeError);
  });

  it('reports every problem at once with file:line:column and the field path', async () => {
    const error = await failure({ dir: fixture('invalid'), env: {} });
    expect(error.kind).toBe('config');
    expect(error.exitCode).toBe(EXIT_CODES.config.code);
    expect(error.message).toBe('mlp.yaml has 6 problems');
    expect(error.issues.map((issue) => `${where(issue)} ${issue.message}`)).toEqual([
      'mlp.yaml:2:7 name must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters, got string "Fraud_Detector"',
      'mlp.yaml:5:19 deploy.timeoutSeconds expected a number, got string "soon"',
      'mlp.yaml:9:5 services[0] unknown key "replica"; did you mean "replicas"?',
      'mlp.yaml:10:33 services[0].autoscaling.max must be >= min (5)',
      'mlp.yaml:11:11 services[1].name duplicates services[0].name "fraud"; names must be unique',
      // A missing key is reported at the mapping that should hold it.
      'mlp.yaml:13:7 services[1].model.path is required (a string)',
    ]);
    expect(error.issues.every((issue) => issue.file === path.join(fixture('invalid'), 'mlp.yaml'))).toBe(true);
    expect(error.details[3]).toBe(`${path.join(fixture('invalid'), 'mlp.yaml')}:10:33: services[0].autoscaling.max must be >= min (5)`);
  });

  it('names the type it expected and the value it got', async () => {
    const dir = project([...BASE, '    replicas: two', '    port: "8080"', 'deploy: { rollback: yes please }'].join('\n'));
    const error = await failure({ dir, env: {} });
    expect(error.issues.map((issue) => `${where(issue)} ${issue.message}`)).toEqual([
      'mlp.yaml:6:15 services[0].replicas expected a number, got string "two"',
      'mlp.yaml:7:11 services[0].port expected a number, got string "8080"',
      'mlp.yaml:8:21 deploy.rollback expected true or false, got string "yes please"',
    ]);
  });

  it('suggests the key that was meant for a misspelt one, and lists the allowed values of an enum', async () => {
    const dir = project(
      [
        ...BASE,
        '    replica: 2',
        'deploy:',
        '  targt: eks',
        'regstry: {}',
        'cluster: { name: prod, namespace: ml }',
        'aws: { region: us-east-1 }',
      ].join('\n'),
    );
    const error = await failure({ dir, env: {} });
    expect(error.issues.map((issue) => `${where(issue)} ${issue.message}`)).toEqual([
      'mlp.yaml:6:5 services[0] unknown key "replica"; did you mean "replicas"?',
      'mlp.yaml:8:3 deploy unknown key "targt"; did you mean "target"?',
      'mlp.yaml:9:1  unknown key "regstry"; did you mean "registry"?',
    ]);
    const enumError = await failure({ dir: project([...BASE, 'deploy: { target: ekss }'].join('\n')), env: {} });
    expect(enumError.issues[0]!.message).toBe('must be one of "local" or "eks", got string "ekss"; did you mean "eks"?');
  });

  it('rejects names that cannot name Kubernetes objects', async () => {
    const dir = project(
      [
        'apiVersion: mlp/v1',
        'name: fraud',
        'cluster: { name: prod, namespace: ML_Platform }',
        'services:',
        '  - name: Fraud.API',
        '    model: { source: training }',
      ].join('\n'),
    );
    const error = await failure({ dir, env: {} });
    expect(error.issues.map((issue) => `${where(issue)}`)).toEqual(['mlp.yaml:3:35 cluster.namespace', 'mlp.yaml:5:11 services[0].name']);
    expect(error.issues[1]!.message).toMatch(/^must be a DNS-1123 label.*got string "Fraud\.API"$/);
  });

  it('rejects duplicate service names, pointing at the second one', async () => {
    const dir = project([...BASE, '  - name: fraud', '    model: { source: dir, path: m }'].join('\n'));
    const error = await failure({ dir, env: {} });
    expect(error.issues).toHaveLength(1);
    expect(`${where(error.issues[0]!)} ${error.issues[0]!.message}`).toBe(
      'mlp.yaml:6:11 services[1].name duplicates services[0].name "fraud"; names must be unique',
    );
  });

  it('reports a YAML syntax error with its line and column', async () => {
    const error = await failure({ dir: fixture('syntax-error'), env: {} });
    expect(error.issues.length).toBeGreaterThan(0);
    const [first] = error.issues;
    expect(first!.message).toMatch(/^YAML syntax error: /);
    expect(first!.line).toBeGreaterThanOrEqual(5);
    expect(first!.column).toBeGreaterThan(0);
  });

  it('reports an empty file and a file that is not a mapping', async () => {
    const empty = await failure({ dir: project('# nothing yet\n'), env: {} });
    expect(empty.issues[0]).toMatchObject({ line: 1, column: 1, message: 'is empty' });
    expect(empty.hint).toContain('mlp init');
    const list = await failure({ dir: project('- a\n- b\n'), env: {} });
    expect(list.issues[0]!.message).toMatch(/^expected a mapping .*, got a list$/);
  });
});

describe('a missing or unreadable mlp.yaml', () => {
  it('says mlp.yaml is not found in the directory and how to create one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlp-empty-'));
    const error = await failure({ dir });
    expect(error.message).toBe(`mlp.yaml not found in ${dir}`);
    expect(error.hint).toBe('Run "mlp init" to create one, or pass -C <dir>.');
    expect(error.issues).toEqual([
      { file: path.join(dir, 'mlp.yaml'), line: 1, column: 1, path: '', message: `mlp.yaml not found in ${dir}` },
    ]);
    expect(error.exitCode).toBe(EXIT_CODES.config.code);
  });

  it('says when the project directory itself does not exist', async () => {
    const dir = path.join(tmpdir(), 'mlp-no-such-dir', 'deeper');
    const error = await failure({ dir });
    expect(error.message).toBe(`the project directory ${dir} does not exist`);
  });

  it('names an explicitly given file that does not exist', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlp-empty-'));
    const error = await failure({ dir, file: 'other.yaml' });
    expect(error.message).toBe(`${path.join(dir, 'other.yaml')} not found`);
  });

  it('says when mlp.yaml is a directory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mlp-dir-'));
    mkdirSync(path.join(dir, 'mlp.yaml'));
    const error = await failure({ dir });
    expect(error.message).toBe(`${path.join(dir, 'mlp.yaml')} is a directory, not a file`);
  });

  it('says when mlp.yaml cannot be read for lack of permission', async () => {
    const file = '/project/mlp.yaml';
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const error = await readError(file, '/project', true, denied);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('cannot read /project/mlp.yaml: permission denied');
    expect(error.hint).toContain('chmod');
    expect(error.issues[0]).toMatchObject({ file, line: 1, column: 1 });
  });

  it('reports a real unreadable file through the built CLI, as an unprivileged user when run as root', () => {
    const dir = project(BASE.join('\n'));
    chmodSync(dir, 0o755);
    chmodSync(path.join(dir, 'mlp.yaml'), 0o000);
    // root reads everything, so the CLI runs as "nobody" there; as anyone else it runs as that user.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const bin = path.resolve(import.meta.dirname, '..', '..', '..', 'bin', 'mlp');
    const run = spawnSync(process.execPath, [bin, 'deploy', '--dry-run', '-C', dir], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
      ...asNobody,
    });
    expect(run.status, run.stderr).toBe(EXIT_CODES.config.code);
    expect(run.stderr).toContain('permission denied');
  });
});

describe('profiles', () => {
  it('lays a profile over the base: objects merge, lists are replaced, services merge by name', async () => {
    const { config, profile } = await loadProjectConfig({ dir: fixture('profiles'), profile: 'staging', env: {} });
    expect(profile).toBe('staging');
    expect(config.deploy.target).toBe('eks');
    expect(config.aws.region).toBe('eu-west-1');
    expect(config.cluster).toMatchObject({ name: 'staging-cluster', namespace: 'ml-platform' });
    expect(config.services.map((service) => service.name)).toEqual(['ranker', 'search', 'embedder']);
    const [ranker, search, embedder] = config.services;
    // env merged key by key; smoke (a list) replaced; replicas kept from the base.
    expect(ranker).toMatchObject({ replicas: 2, env: { LOG_LEVEL: 'debug', THREADS: '4' } });
    expect(ranker!.smoke.map((smoke) => smoke.path)).toEqual(['/ready']);
    // model is replaced whole: its shape depends on source.
    expect(search).toMatchObject({
      replicas: 3,
      model: { source: 'sagemaker', endpoint: 'search-staging', contentType: 'application/json' },
    });
    expect(embedder).toMatchObject({ replicas: 1, port: 8080, model: { source: 'dir', path: 'models/embedder' } });
  });

  it('activates the first profile whose activation.env matches, unless one is named', async () => {
    const dir = fixture('profiles');
    expect((await loadProjectConfig({ dir, env: {} })).profile).toBeNull();
    expect((await loadProjectConfig({ dir, env: { SHOP_ENV: 'production' } })).profile).toBeNull();
    const staging = await loadProjectConfig({ dir, env: { SHOP_ENV: 'staging', CI: 'true' } });
    expect(staging.profile).toBe('staging');
    const ci = await loadProjectConfig({ dir, env: { CI: 'true' } });
    expect(ci.profile).toBe('ci');
    expect(ci.config.services[0]!.replicas).toBe(1);
    expect((await loadProjectConfig({ dir, env: { CI: '' } })).profile).toBeNull();
    expect((await loadProjectConfig({ dir, profile: 'ci', env: { SHOP_ENV: 'staging' } })).profile).toBe('ci');
  });

  it('names the profiles that exist when asked for an unknown one', async () => {
    const error = await failure({ dir: example, profile: 'prod', env: {} });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.message).toBe('unknown profile "prod"');
    expect(error.issues[0]!.hint).toBe('the profiles in mlp.yaml are bench, dev, eks');
    expect(error.issues[0]!.line).toBe(47);
    const typo = await failure({ dir: example, profile: 'eksx', env: {} });
    expect(typo.issues[0]!.message).toBe('unknown profile "eksx"; did you mean "eks"?');
    const none = await failure({ dir: fixture('minimal'), profile: 'dev', env: {} });
    expect(none.issues[0]).toMatchObject({ line: 1, column: 1, hint: 'mlp.yaml has no profiles section' });
  });

  it("reports problems in a profile at their place in the profile's section", async () => {
    const dir = project(
      [
        ...BASE,
        'profiles:',
        '  - name: dev',
        '    deploy: { target: local, timeout: 5 }',
        '    services:',
        '      - name: fraud',
        '        replica: 1',
        '        autoscaling: { max: many }',
      ].join('\n'),
    );
    const error = await failure({ dir, env: {} });
    expect(error.issues.map((issue) => `${where(issue)} ${issue.message}`)).toEqual([
      'mlp.yaml:8:30 profiles[0].deploy unknown key "timeout"; did you mean "timeoutSeconds"?',
      'mlp.yaml:11:9 profiles[0].services[0] unknown key "replica"; did you mean "replicas"?',
      'mlp.yaml:12:29 profiles[0].services[0].autoscaling.max expected a number, got string "many"',
    ]);
  });

  it('checks the merged result, pointing into the profile for what the profile added', async () => {
    const dir = project(
      [
        ...BASE,
        '    autoscaling: { min: 2, max: 4 }',
        'profiles:',
        '  - name: big',
        '    services:',
        '      - name: fraud',
        '        autoscaling: { min: 6 }',
        '      - name: extra',
        '        replicas: 1',
      ].join('\n'),
    );
    expect((await loadProjectConfig({ dir, env: {} })).profile).toBeNull();
    const error = await failure({ dir, profile: 'big', env: {} });
    expect(error.issues.map((issue) => `${where(issue)} ${issue.message} (${issue.hint})`)).toEqual([
      'mlp.yaml:6:33 services[0].autoscaling.max must be >= min (6) (with profile "big" applied)',
      'mlp.yaml:12:9 profiles[0].services[1].model is required (a mapping) (with profile "big" applied)',
    ]);
  });
});

describe('interpolation', () => {
  it('fills ${VAR} and ${VAR:-default}, keeps $${ literal and leaves ${MLP_*} for run time', async () => {
    const { config } = await loadProjectConfig({
      dir: fixture('interpolation'),
      env: { DATA_BUCKET: 's3://data', AWS_REGION: 'eu-central-1' },
    });
    expect(config.name).toBe('interp');
    expect(config.aws.region).toBe('eu-central-1');
    expect(config.training?.command).toBe("python train.py --out ${MLP_OUTPUT_DIR} --label '${not_a_variable}'");
    expect(config.training?.env).toEqual({ DATA_BUCKET: 's3://data', QUOTED_PORT: '9000' });
    // An unquoted value is read again after interpolation, so a number stays a number.
    expect(config.services[0]!.replicas).toBe(3);
  });

  it('uses the default when the variable is empty, and the value when set', async () => {
    const { config } = await loadProjectConfig({ dir: fixture('interpolation'), env: { DATA_BUCKET: 'b', PROJECT: '', REPLICAS: '5' } });
    expect(config.name).toBe('interp');
    expect(config.services[0]!.replicas).toBe(5);
  });

  it('reports an unset variable without a default at its value, with what to do', async () => {
    const error = await failure({ dir: fixture('interpolation'), env: {} });
    expect(error.issues).toEqual([
      {
        file: path.join(fixture('interpolation'), 'mlp.yaml'),
        line: 8,
        column: 18,
        path: 'training.env.DATA_BUCKET',
        message: 'uses ${DATA_BUCKET}, which is not set',
        hint: 'export DATA_BUCKET=…, or give a default: ${DATA_BUCKET:-value}',
      },
    ]);
  });

  it('requires the variables of the applied profile only', async () => {
    const env = { DATA_BUCKET: 'b' };
    const error = await failure({ dir: fixture('interpolation'), profile: 'prod', env });
    expect(error.issues.map((issue) => `${where(issue)} ${issue.message}`)).toEqual([
      'mlp.yaml:17:13 profiles[0].cluster.name uses ${PROD_CLUSTER}, which is not set',
    ]);
    const prod = await loadProjectConfig({ dir: fixture('interpolation'), profile: 'prod', env: { ...env, PROD_CLUSTER: 'prod-1' } });
    expect(prod.config.cluster?.name).toBe('prod-1');
  });
});

describe('overrides from flags', () => {
  it('are applied last, over the file and the profile', async () => {
    const dir = fixture('profiles');
    const { config } = await loadProjectConfig({
      dir,
      profile: 'staging',
      env: {},
      overrides: { target: 'local', namespace: 'team-a', region: 'us-west-2' },
    });
    expect(config.deploy.target).toBe('local');
    expect(config.cluster?.namespace).toBe('team-a');
    expect(config.aws.region).toBe('us-west-2');
    const eks = await loadProjectConfig({ dir: example, env: {}, overrides: { target: 'eks' } });
    expect(eks.config.deploy.target).toBe('eks');
  });

  it('rejects flag values that are not valid as usage errors', async () => {
    await expect(loadProjectConfig({ dir: example, env: {}, overrides: { namespace: 'Team_A' } })).rejects.toBeInstanceOf(UsageError);
    await expect(loadProjectConfig({ dir: example, env: {}, overrides: { region: 'mars' } })).rejects.toThrow(/--region "mars"/);
  });
});
