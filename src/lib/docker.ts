/**
 * The seam to Docker: every docker CLI invocation mlp makes goes through here, so the rest of the build and push
 * stages is plain data. The CLI (not the engine API) is used on purpose: it brings BuildKit through buildx, the
 * user's credential helpers and registry configuration, exactly as `docker` on their terminal does.
 * MLP_DOCKER names another docker CLI binary (default `docker` on PATH).
 */
import type { CommandContext } from './context.js';
import { MlpError } from './errors.js';
import { runProgram, type OutputStream } from './exec.js';
import { BuildLog } from './image/build-log.js';

export interface DockerCli {
  readonly file: string;
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  readonly signal?: AbortSignal | undefined;
  /** Receives every command mlp runs (argv without secrets), for --verbose and for tests that check what ran. */
  readonly trace?: ((argv: readonly string[]) => void) | undefined;
}

export function dockerCli(options: Omit<DockerCli, 'file'> & { file?: string }): DockerCli {
  return { ...options, file: options.file ?? options.env.MLP_DOCKER ?? 'docker' };
}

/** The docker CLI as a command uses it: the CLI's environment, aborted by Ctrl-C, each command shown with --verbose. */
export function dockerCliFor(context: Pick<CommandContext, 'io' | 'signal' | 'output'>, cwd: string): DockerCli {
  return dockerCli({ cwd, env: context.io.env, signal: context.signal, trace: (argv) => context.output.debug(`$ ${argv.join(' ')}`) });
}

export interface EngineInfo {
  serverVersion: string;
  /** The engine's CPU architecture as an image platform: linux/amd64, linux/arm64, … */
  platform: string;
}

const START_ENGINE_HINT =
  'start a Docker engine: `sudo systemctl start docker` (Linux), Docker Desktop (macOS/Windows); on the test bench: bash test/bench/docker.sh up';

interface DockerRun {
  exitCode: number | undefined;
  stdout: string[];
  tail: string[];
}

async function docker(
  cli: DockerCli,
  args: readonly string[],
  options: { input?: string; onLine?: (line: string, stream: OutputStream) => void; tailLines?: number; env?: Record<string, string> } = {},
): Promise<DockerRun> {
  cli.trace?.([cli.file, ...args]);
  const stdout: string[] = [];
  const result = await runProgram(cli.file, args, {
    cwd: cli.cwd,
    baseEnv: cli.env,
    ...(options.env ? { env: options.env } : {}),
    ...(cli.signal ? { signal: cli.signal } : {}),
    ...(options.input === undefined ? {} : { input: options.input }),
    tailLines: options.tailLines ?? 40,
    displayName: 'docker (the Docker CLI)',
    onLine: (line, stream) => {
      if (stream === 'stdout') stdout.push(line);
      options.onLine?.(line, stream);
    },
  });
  return { exitCode: result.exitCode, stdout, tail: result.tail };
}

/** Docker's architecture names (uname or Go) as the image platform's. */
export function platformOfArchitecture(architecture: string, os = 'linux'): string {
  const arch = { x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64' }[architecture] ?? architecture;
  return `${os}/${arch}`;
}

/** The engine's version and architecture; a prerequisite error with how to start one when none answers. */
export async function engineInfo(cli: DockerCli): Promise<EngineInfo> {
  const run = await docker(cli, ['version', '--format', '{{.Server.Version}} {{.Server.Os}} {{.Server.Arch}}']);
  const [serverVersion, os, arch] = (run.stdout.join(' ').trim() || '').split(/\s+/);
  if (run.exitCode !== 0 || !serverVersion || !os || !arch) {
    const why =
      run.tail
        .filter((line) => line.trim() !== '')
        .slice(-2)
        .join(' ') || `docker version exited ${run.exitCode}`;
    throw new MlpError('prerequisite', `No Docker engine answers: ${why}`, { hint: START_ENGINE_HINT });
  }
  return { serverVersion, platform: platformOfArchitecture(arch, os) };
}

/** Whether the buildx plugin is installed (`docker buildx version` answers). */
export async function hasBuildx(cli: DockerCli): Promise<boolean> {
  const run = await docker(cli, ['buildx', 'version']);
  return run.exitCode === 0;
}

export interface BuildRequest {
  contextDir: string;
  dockerfile: string;
  tags: readonly string[];
  platform: string;
  buildArgs: Readonly<Record<string, string>>;
  /** BuildKit secrets: id → file. Only the file's path is on the command line. */
  secrets: Readonly<Record<string, string>>;
  noCache: boolean;
  /** buildx when installed; otherwise `docker build` with DOCKER_BUILDKIT=1 (CLIs with BuildKit built in). */
  buildx: boolean;
  onLine?: (line: string) => void;
}

/** Builds an image into the local engine and returns its image ID. A failure names the failing step. */
export async function buildImage(cli: DockerCli, request: BuildRequest): Promise<{ imageId: string }> {
  const args = [
    ...(request.buildx ? ['buildx', 'build', '--load'] : ['build']),
    '--progress=plain',
    '--platform',
    request.platform,
    '--file',
    request.dockerfile,
    ...request.tags.flatMap((tag) => ['--tag', tag]),
    ...Object.entries(request.buildArgs).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]),
    ...Object.entries(request.secrets).flatMap(([id, file]) => ['--secret', `id=${id},src=${file}`]),
    ...(request.noCache ? ['--no-cache'] : []),
    request.contextDir,
  ];
  const log = new BuildLog();
  const run = await docker(cli, args, {
    env: request.buildx ? {} : { DOCKER_BUILDKIT: '1' },
    tailLines: 200,
    onLine: (line) => {
      log.push(line);
      request.onLine?.(line);
    },
  });
  if (run.exitCode !== 0) {
    const failure = log.failure();
    if (!request.buildx && run.tail.some((line) => /buildx component is missing|requires buildx|BuildKit is enabled but/i.test(line))) {
      throw new MlpError('prerequisite', 'This docker CLI needs the buildx plugin to build with BuildKit, and it is not installed.', {
        hint: 'install docker-buildx (Debian/Ubuntu: apt install docker-buildx-plugin; from source: bash test/bench/buildx.sh install)',
      });
    }
    throw new MlpError(
      'build',
      `docker build failed${failure.step ? ` at ${failure.step}` : ''}: ${failure.error ?? `exit ${run.exitCode}`}`,
      {
        details: failure.log.length > 0 ? failure.log : run.tail.slice(-20),
      },
    );
  }
  const imageId = await localImageId(cli, request.tags[0]!);
  if (!imageId) throw new MlpError('build', `docker build succeeded but ${request.tags[0]} is not in the local engine.`);
  return { imageId };
}

export interface LocalImage {
  id: string;
  platform: string;
  labels: Record<string, string>;
}

async function localImageId(cli: DockerCli, ref: string): Promise<string | undefined> {
  return (await localImage(cli, ref))?.id;
}

/** `docker <object> inspect <ref>`'s one result, or undefined when the engine has no such object. */
async function inspectOne<T>(cli: DockerCli, object: 'image' | 'container', ref: string): Promise<T | undefined> {
  const run = await docker(cli, [object, 'inspect', ref]);
  if (run.exitCode !== 0) return undefined;
  return (JSON.parse(run.stdout.join('\n')) as T[])[0];
}

/** The local engine's image by reference, or undefined when it has none. */
export async function localImage(cli: DockerCli, ref: string): Promise<LocalImage | undefined> {
  const image = await inspectOne<{ Id: string; Os: string; Architecture: string; Config?: { Labels?: Record<string, string> | null } }>(
    cli,
    'image',
    ref,
  );
  if (!image) return undefined;
  return { id: image.Id, platform: platformOfArchitecture(image.Architecture, image.Os), labels: image.Config?.Labels ?? {} };
}

export async function tagImage(cli: DockerCli, source: string, target: string): Promise<void> {
  const run = await docker(cli, ['image', 'tag', source, target]);
  if (run.exitCode !== 0) throw new MlpError('build', `docker tag ${source} ${target} failed: ${run.tail.slice(-1)[0] ?? ''}`);
}

/** Registries Docker talks plain HTTP to without configuration (the engine's own rule for loopback). */
export function isLoopbackRegistry(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(name) || name === '[::1]';
}

/**
 * Logs in to `registry` with the password on stdin (never in argv, where `ps` would show it), into the Docker
 * config directory `configDir`.
 */
export async function login(cli: DockerCli, registry: string, username: string, password: string, configDir: string): Promise<void> {
  const run = await docker(cli, ['--config', configDir, 'login', '--username', username, '--password-stdin', registry], {
    input: password,
  });
  if (run.exitCode !== 0) {
    throw new MlpError('push', `docker login to ${registry} failed: ${lastMeaningful(run.tail)}`, {
      hint: 'check that the registry is reachable and the credentials are current',
    });
  }
}

export interface PushOutcome {
  ok: boolean;
  digest?: string;
  /** The last lines, to classify a failure. */
  tail: string[];
}

export async function pushImage(
  cli: DockerCli,
  ref: string,
  configDir: string | undefined,
  onLine?: (line: string) => void,
): Promise<PushOutcome> {
  const run = await docker(cli, [...(configDir ? ['--config', configDir] : []), 'push', ref], { ...(onLine ? { onLine } : {}) });
  const digest = run.stdout.map((line) => /digest: (sha256:[0-9a-f]{64})/.exec(line)?.[1]).find(Boolean);
  return { ok: run.exitCode === 0 && digest !== undefined, ...(digest ? { digest } : {}), tail: run.tail };
}

export interface RemoteManifest {
  digest: string;
  platforms: string[];
}

/**
 * The registry's manifest for `ref` (a tag), or undefined when the registry does not have it. Throws when the
 * registry cannot be asked at all, so "unreachable" is never mistaken for "absent".
 */
export async function remoteManifest(cli: DockerCli, ref: string, configDir: string | undefined): Promise<RemoteManifest | undefined> {
  const host = ref.split('/')[0]!;
  const run = await docker(cli, [
    ...(configDir ? ['--config', configDir] : []),
    'manifest',
    'inspect',
    '--verbose',
    ...(isLoopbackRegistry(host) ? ['--insecure'] : []),
    ref,
  ]);
  if (run.exitCode !== 0) {
    const why = lastMeaningful(run.tail);
    if (/no such manifest|manifest unknown|not found|name unknown|does not exist/i.test(why)) return undefined;
    throw new MlpError('push', `Could not ask ${host} whether it has ${ref}: ${why}`, {
      hint: 'check that the registry is reachable and you are logged in',
    });
  }
  const parsed = JSON.parse(run.stdout.join('\n')) as ManifestEntry | ManifestEntry[];
  const entries = Array.isArray(parsed) ? parsed : [parsed];
  const digest = Array.isArray(parsed) ? undefined : parsed.Descriptor?.digest;
  return {
    digest: digest ?? entries[0]?.Descriptor?.digest ?? '',
    platforms: entries.flatMap((entry) => {
      const platform = entry.Descriptor?.platform;
      return platform?.os && platform.architecture ? [`${platform.os}/${platform.architecture}`] : [];
    }),
  };
}

interface ManifestEntry {
  Descriptor?: { digest?: string; platform?: { os?: string; architecture?: string } };
}

function lastMeaningful(lines: readonly string[]): string {
  return (
    lines
      .filter((line) => line.trim() !== '')
      .slice(-1)[0]
      ?.trim() ?? 'no output'
  );
}

export interface ContainerState {
  id: string;
  imageId: string;
  running: boolean;
  exitCode: number;
  createdAt: Date;
  /** The labels it was started with (dev.mlp.*). */
  labels: Readonly<Record<string, string>>;
}

/** The container by name, or undefined when there is none. */
export async function containerState(cli: DockerCli, name: string): Promise<ContainerState | undefined> {
  const container = await inspectOne<{
    Id: string;
    Image: string;
    Created: string;
    State: { Running: boolean; ExitCode: number };
    Config?: { Labels?: Record<string, string> | null };
  }>(cli, 'container', name);
  if (!container) return undefined;
  return {
    id: container.Id,
    imageId: container.Image,
    running: container.State.Running,
    exitCode: container.State.ExitCode,
    createdAt: new Date(container.Created),
    labels: container.Config?.Labels ?? {},
  };
}

export interface RunContainerRequest {
  name: string;
  image: string;
  /** host address:port → container port */
  publish: { host: string; hostPort: number; containerPort: number };
  /** Passed with --env-file, so values (which can be credentials) are not in the process list. */
  envFile: string;
  labels: Readonly<Record<string, string>>;
  /** --cpus and --memory. */
  limits?: { cpus?: number; memoryBytes?: number };
}

export async function runContainer(cli: DockerCli, request: RunContainerRequest): Promise<string> {
  const run = await docker(cli, [
    'run',
    '--detach',
    '--name',
    request.name,
    '--publish',
    `${request.publish.host}:${request.publish.hostPort}:${request.publish.containerPort}`,
    '--env-file',
    request.envFile,
    ...Object.entries(request.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    ...(request.limits?.cpus === undefined ? [] : ['--cpus', String(request.limits.cpus)]),
    ...(request.limits?.memoryBytes === undefined ? [] : ['--memory', String(request.limits.memoryBytes)]),
    request.image,
  ]);
  const id = run.stdout.join('').trim();
  if (run.exitCode !== 0 || !id) {
    throw new MlpError('rollout', `docker run ${request.name} failed: ${lastMeaningful(run.tail)}`, {
      hint: /port is already allocated|address already in use/i.test(run.tail.join(' '))
        ? `port ${request.publish.hostPort} is taken; stop what uses it or change services[].port`
        : undefined,
    });
  }
  return id;
}

/** Runs `docker <verb> <args>` and fails with the verb's own message. */
async function containerVerb(cli: DockerCli, args: readonly string[]): Promise<void> {
  const run = await docker(cli, ['container', ...args]);
  if (run.exitCode !== 0) throw new MlpError('rollout', `docker container ${args.join(' ')} failed: ${lastMeaningful(run.tail)}`);
}

/** SIGTERM, then after `seconds` SIGKILL: the serving app drains in-flight requests on SIGTERM. */
export const stopContainer = (cli: DockerCli, name: string, seconds = 15) => containerVerb(cli, ['stop', '--time', String(seconds), name]);
export const startContainer = (cli: DockerCli, name: string) => containerVerb(cli, ['start', name]);
export const removeContainer = (cli: DockerCli, name: string) => containerVerb(cli, ['rm', '--force', name]);
export const renameContainer = (cli: DockerCli, from: string, to: string) => containerVerb(cli, ['rename', from, to]);

export async function containerLogs(cli: DockerCli, name: string, lines: number): Promise<string[]> {
  const run = await docker(cli, ['container', 'logs', '--tail', String(lines), name], { tailLines: lines * 2 });
  return run.tail;
}

export interface ContainerLogOptions {
  /** Keep reading until the container stops (`docker logs --follow`). */
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Only lines newer than this many seconds. */
  sinceSeconds?: number;
  /** Each line starts with the engine's RFC 3339 timestamp and a space. */
  timestamps?: boolean;
  /** Ends this one stream (the CLI's own signal ends it too). */
  signal?: AbortSignal;
}

/**
 * One container's log (its stdout and stderr, as `docker container logs` gives them), line by line, read to the end
 * or followed until the container stops or a signal aborts. Unlike the other verbs it keeps no copy of the output:
 * a followed log has no end. Resolves with docker's exit code and its last lines (why it refused, if it did).
 */
export async function streamContainerLogs(
  cli: DockerCli,
  container: string,
  options: ContainerLogOptions,
  onLine: (line: string, stream: OutputStream) => void,
): Promise<{ exitCode: number | undefined; tail: string[] }> {
  const args = [
    'container',
    'logs',
    ...(options.follow ? ['--follow'] : []),
    ...(options.tail === undefined ? [] : ['--tail', String(options.tail)]),
    ...(options.sinceSeconds === undefined ? [] : ['--since', `${options.sinceSeconds}s`]),
    ...(options.timestamps ? ['--timestamps'] : []),
    container,
  ];
  cli.trace?.([cli.file, ...args]);
  const signals = [cli.signal, options.signal].filter((signal): signal is AbortSignal => signal !== undefined);
  const result = await runProgram(cli.file, args, {
    cwd: cli.cwd,
    baseEnv: cli.env,
    ...(signals.length === 0 ? {} : { signal: AbortSignal.any(signals) }),
    tailLines: 5,
    displayName: 'docker (the Docker CLI)',
    onLine,
  });
  return { exitCode: result.exitCode, tail: result.tail };
}

/** What `mlp status` shows of a container: its state, the engine's health check, published ports and image. */
export interface ContainerDetails {
  id: string;
  /** The reference it was started from (Config.Image), e.g. fraud/fraud:3f2a…; imageId is what that resolved to. */
  image: string;
  imageId: string;
  /** created, running, paused, restarting, exited, dead. */
  status: string;
  running: boolean;
  exitCode: number;
  /** The image's HEALTHCHECK verdict (starting, healthy, unhealthy), undefined when it has none. */
  health: string | undefined;
  startedAt: Date | undefined;
  createdAt: Date;
  /** Published ports: container port (8080/tcp) → host address:port. */
  ports: Array<{ container: string; host: string }>;
  labels: Readonly<Record<string, string>>;
}

/** The container by name with its health and ports, or undefined when there is none. */
export async function containerDetails(cli: DockerCli, name: string): Promise<ContainerDetails | undefined> {
  const container = await inspectOne<{
    Id: string;
    Image: string;
    Created: string;
    State: { Status?: string; Running: boolean; ExitCode: number; StartedAt?: string; Health?: { Status?: string } | null };
    Config?: { Image?: string; Labels?: Record<string, string> | null };
    NetworkSettings?: { Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null };
    HostConfig?: { PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null };
  }>(cli, 'container', name);
  if (!container) return undefined;
  // A stopped container has no NetworkSettings.Ports; its HostConfig still says what it publishes when it runs.
  const bindings = container.State.Running ? container.NetworkSettings?.Ports : container.HostConfig?.PortBindings;
  const started = container.State.StartedAt;
  return {
    id: container.Id,
    image: container.Config?.Image ?? container.Image,
    imageId: container.Image,
    status: container.State.Status ?? (container.State.Running ? 'running' : 'exited'),
    running: container.State.Running,
    exitCode: container.State.ExitCode,
    health: container.State.Health?.Status ?? undefined,
    startedAt: started && !started.startsWith('0001-') ? new Date(started) : undefined,
    createdAt: new Date(container.Created),
    ports: Object.entries(bindings ?? {}).flatMap(([port, hosts]) =>
      (hosts ?? []).map((host) => ({ container: port, host: `${host.HostIp || '0.0.0.0'}:${host.HostPort ?? '?'}` })),
    ),
    labels: container.Config?.Labels ?? {},
  };
}
