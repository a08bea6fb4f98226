/**
 * The virtualenv a training command runs in when mlp.yaml names `training.requirements`. One venv per
 * (requirements file content, Python version), cached under `<project>/.mlp/venvs/<key>/` or `$MLP_VENV_CACHE/<key>/`,
 * so a second `mlp train` starts in seconds and a changed requirements file gets a fresh venv.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MlpError } from '../errors.js';
import { runProgram, type OutputStream } from '../exec.js';

export interface PythonEnvOptions {
  projectDir: string;
  /** Absolute path of the requirements file. */
  requirementsFile: string;
  /** Where venvs are kept (default `<project>/.mlp/venvs`). */
  cacheDir?: string;
  /** The interpreter that creates the venv (default python3). */
  python?: string;
  baseEnv: Record<string, string | undefined>;
  signal?: AbortSignal;
  onLine?: (line: string, stream: OutputStream) => void;
  /** Progress messages ("creating virtualenv …"). */
  log?: (message: string) => void;
}

export interface PythonEnv {
  dir: string;
  /** The venv's bin (Scripts on Windows) directory, to put first on PATH. */
  binDir: string;
  key: string;
  /** false when the cached venv was reused. */
  created: boolean;
}

const READY_MARKER = '.mlp-ready.json';
const INSTALL_TIMEOUT_MS = 30 * 60_000;
const LOCK_WAIT_MS = 30 * 60_000;

export function defaultVenvCache(projectDir: string): string {
  return path.join(projectDir, '.mlp', 'venvs');
}

/** The cache key: a hash of the requirements file's bytes and the interpreter's full version string. */
export function venvKey(requirements: string | Buffer, pythonVersion: string): string {
  return createHash('sha256').update(requirements).update('\0').update(pythonVersion.trim()).digest('hex').slice(0, 16);
}

/** Returns a ready virtualenv for the requirements file, creating and installing it on first use. */
export async function ensurePythonEnv(options: PythonEnvOptions): Promise<PythonEnv> {
  const python = options.python ?? 'python3';
  const requirements = await readRequirements(options.requirementsFile);
  const pythonVersion = await interpreterVersion(python, options);
  const key = venvKey(requirements, pythonVersion);
  const dir = path.join(options.cacheDir ?? defaultVenvCache(options.projectDir), key);
  const env: PythonEnv = { dir, binDir: venvBinDir(dir), key, created: false };

  if (await isReady(dir)) return env;
  await mkdir(path.dirname(dir), { recursive: true });
  const release = await acquireLock(`${dir}.lock`, options);
  try {
    // Another mlp may have built it while this one waited for the lock.
    if (await isReady(dir)) return env;
    await rm(dir, { recursive: true, force: true });
    await createVenv(python, dir, options);
    await installRequirements(env, options);
    await writeFile(
      path.join(dir, READY_MARKER),
      `${JSON.stringify({ requirements: options.requirementsFile, python: pythonVersion }, null, 2)}\n`,
    );
    return { ...env, created: true };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await release();
  }
}

export function venvBinDir(dir: string): string {
  return path.join(dir, process.platform === 'win32' ? 'Scripts' : 'bin');
}

async function readRequirements(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new MlpError(
      'config',
      `training.requirements: ${file} could not be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
      {
        hint: 'Point training.requirements at a pip requirements file, relative to training.workdir.',
        cause: error,
      },
    );
  }
}

async function interpreterVersion(python: string, options: PythonEnvOptions): Promise<string> {
  const lines: string[] = [];
  const result = await runProgram(python, ['-c', 'import sys, platform; print(sys.version, platform.machine())'], {
    cwd: options.projectDir,
    baseEnv: options.baseEnv,
    timeoutMs: 60_000,
    ...(options.signal ? { signal: options.signal } : {}),
    onLine: (line) => lines.push(line),
  });
  if (result.exitCode !== 0) {
    throw new MlpError('prerequisite', `${python} did not run (exit code ${result.exitCode ?? result.signal ?? 'unknown'}).`, {
      details: result.tail.slice(-5),
      hint: `Check that ${python} is a working Python 3 interpreter.`,
    });
  }
  return lines.join('\n');
}

async function createVenv(python: string, dir: string, options: PythonEnvOptions): Promise<void> {
  options.log?.(`creating virtualenv ${dir}`);
  const result = await runProgram(python, ['-m', 'venv', dir], {
    cwd: options.projectDir,
    baseEnv: options.baseEnv,
    timeoutMs: 5 * 60_000,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  throwIfInterrupted(result.canceled, options.signal);
  if (result.exitCode !== 0) {
    throw new MlpError('prerequisite', `${python} -m venv failed (exit code ${result.exitCode ?? result.signal ?? 'unknown'}).`, {
      details: result.tail.slice(-10),
      hint: 'Install the venv module (on Debian and Ubuntu: apt-get install python3-venv) and run mlp train again.',
    });
  }
}

async function installRequirements(env: PythonEnv, options: PythonEnvOptions): Promise<void> {
  options.log?.(`installing ${path.basename(options.requirementsFile)} into the virtualenv`);
  const result = await runProgram(
    path.join(env.binDir, 'python'),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', '-r', options.requirementsFile],
    {
      // pip resolves `-r other.txt` and relative paths against its working directory.
      cwd: path.dirname(options.requirementsFile),
      baseEnv: options.baseEnv,
      env: { VIRTUAL_ENV: env.dir, PIP_NO_INPUT: '1' },
      timeoutMs: INSTALL_TIMEOUT_MS,
      tailLines: 20,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onLine ? { onLine: options.onLine } : {}),
    },
  );
  throwIfInterrupted(result.canceled, options.signal);
  if (result.exitCode !== 0) {
    const why = result.timedOut
      ? `timed out after ${INSTALL_TIMEOUT_MS / 60_000} minutes`
      : `exited with code ${result.exitCode ?? result.signal ?? 'unknown'}`;
    throw new MlpError('training', `Installing training.requirements (${options.requirementsFile}) failed: pip ${why}.`, {
      details: result.tail,
      hint: 'Check the pinned versions exist for this Python version and that the package index is reachable.',
    });
  }
}

function throwIfInterrupted(canceled: boolean, signal: AbortSignal | undefined): void {
  if (canceled || signal?.aborted) {
    throw new MlpError('interrupted', 'Interrupted while creating the virtualenv; the partial one was removed.');
  }
}

async function isReady(dir: string): Promise<boolean> {
  try {
    await readFile(path.join(dir, READY_MARKER));
    return true;
  } catch {
    return false;
  }
}

/**
 * A lock directory with the owner's pid inside: mkdir is atomic, and a lock whose owner has died is taken over,
 * so a killed `mlp train` does not block the next one.
 */
async function acquireLock(lockDir: string, options: PythonEnvOptions): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(path.join(lockDir, 'pid'), String(process.pid));
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!(await lockOwnerAlive(lockDir))) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new MlpError('training', `Timed out waiting for another mlp to finish creating the virtualenv (${lockDir}).`, {
        hint: `If no other mlp is running, remove ${lockDir} and try again.`,
      });
    }
    if (!announced) options.log?.('waiting for another mlp that is creating the same virtualenv');
    announced = true;
    options.signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function lockOwnerAlive(lockDir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(lockDir, 'pid'), 'utf8')).trim());
  } catch {
    // The owner made the directory but has not written its pid yet, or died in between: give it a minute.
    const made = await stat(lockDir).then(
      (info) => info.mtimeMs,
      () => 0,
    );
    return Date.now() - made < 60_000;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
