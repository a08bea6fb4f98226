/**
 * Training on this machine: runs training.command in its virtualenv with a fresh output directory, validates what it
 * wrote, and registers it as a new timestamp version in the local model registry. Nothing is registered unless
 * every step succeeds.
 */
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MlpError } from '../errors.js';
import { runProgram } from '../exec.js';
import { resolveCommand } from './command-line.js';
import { nextVersion } from '../model/registry.js';
import { ensurePythonEnv, type PythonEnv } from './python-env.js';
import { registerStaged, withStaging } from '../model/staged-version.js';
import type { TrainResult } from './train-result.js';

/** The `training` section of mlp.yaml, after defaults. */
export interface TrainingSettings {
  command: string | readonly string[];
  workdir: string;
  requirements?: string | undefined;
  outputDir?: string | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  timeoutSeconds: number;
}

export interface TrainOptions {
  /** The directory of mlp.yaml; the registry and venv cache live under its `.mlp/`. */
  projectDir: string;
  /** The model's name in the registry (mlp.yaml `name`). */
  name: string;
  training: TrainingSettings;
  /** The CLI's environment: the base of the child's, and where MLP_VENV_CACHE and MLP_PYTHON are read. */
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  /** Receives progress messages and every line the training command and pip print. */
  log: (line: string) => void;
  now?: () => Date;
}

const TAIL_LINES = 20;

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const { projectDir, name, training, signal, log } = options;
  const workdir = path.resolve(projectDir, training.workdir);
  await requireDirectory(workdir);

  let venv: PythonEnv | undefined;
  let venvSeconds = 0;
  if (training.requirements !== undefined) {
    const started = Date.now();
    const cacheDir = options.env.MLP_VENV_CACHE;
    const python = options.env.MLP_PYTHON;
    venv = await ensurePythonEnv({
      projectDir,
      requirementsFile: path.resolve(workdir, training.requirements),
      ...(cacheDir ? { cacheDir: path.resolve(projectDir, cacheDir) } : {}),
      ...(python ? { python } : {}),
      baseEnv: options.env,
      signal,
      onLine: (line) => log(line),
      log,
    });
    venvSeconds = (Date.now() - started) / 1000;
    log(venv.created ? `virtualenv ready in ${venvSeconds.toFixed(1)} s: ${venv.dir}` : `reusing virtualenv ${venv.dir}`);
  }

  const version = await nextVersion(projectDir, name, options.now?.() ?? new Date());
  return withStaging(projectDir, version, async (staging) => {
    const started = Date.now();
    const outputDir = training.outputDir === undefined ? staging : path.resolve(workdir, training.outputDir);
    await mkdir(outputDir, { recursive: true });
    await runTrainingCommand({ ...options, workdir, outputDir, version, venv });
    const trainingSeconds = (Date.now() - started) / 1000;
    if (outputDir !== staging) await collectOutputs(outputDir, staging, started);
    return {
      ...(await registerStaged(projectDir, name, version, staging, log)),
      venv: venv === undefined ? undefined : { dir: venv.dir, created: venv.created, seconds: venvSeconds },
      trainingSeconds,
    };
  });
}

interface CommandRun extends TrainOptions {
  workdir: string;
  /** Where the command writes: the staging directory, or training.outputDir. */
  outputDir: string;
  version: string;
  venv: PythonEnv | undefined;
}

async function runTrainingCommand(run: CommandRun): Promise<void> {
  const { training, venv, log } = run;
  const command = resolveCommand(training.command, { MLP_OUTPUT_DIR: run.outputDir, MLP_MODEL_VERSION: run.version });
  const env: Record<string, string | undefined> = {
    ...training.env,
    MLP_OUTPUT_DIR: run.outputDir,
    MLP_MODEL_VERSION: run.version,
    MLP_MODEL_NAME: run.name,
    // Python buffers stdout when it is a pipe; unbuffered, its progress lines arrive as they are printed.
    PYTHONUNBUFFERED: '1',
  };
  if (venv !== undefined) {
    env.VIRTUAL_ENV = venv.dir;
    env.PATH = [venv.binDir, run.env.PATH].filter(Boolean).join(path.delimiter);
    env.PYTHONHOME = undefined;
  }

  log(`running ${[command.file, ...command.args].join(' ')} (in ${run.workdir})`);
  const options = {
    cwd: run.workdir,
    baseEnv: run.env,
    env,
    signal: run.signal,
    timeoutMs: training.timeoutSeconds * 1000,
    tailLines: TAIL_LINES,
    onLine: (line: string) => log(line),
  };
  const result = await runProgram(command.file, command.args, { ...options, displayName: command.file });

  if (result.canceled || run.signal.aborted) {
    throw new MlpError('interrupted', 'Training was interrupted; nothing was registered.');
  }
  if (result.timedOut) {
    throw new MlpError('training', `The training command timed out after ${training.timeoutSeconds} s; nothing was registered.`, {
      details: result.tail,
      hint: 'Raise training.timeoutSeconds in mlp.yaml, or train on less data.',
    });
  }
  if (result.exitCode !== 0) {
    const how = result.exitCode === undefined ? `was killed by ${result.signal ?? 'a signal'}` : `exited with code ${result.exitCode}`;
    throw new MlpError('training', `The training command ${how}; nothing was registered.`, {
      details: result.tail,
      hint: `Its last ${TAIL_LINES} lines are above. Fix the training script (run it by hand in ${run.workdir}) and run mlp train again.`,
    });
  }
}

/**
 * With training.outputDir the command writes into a directory of the project (MLP_OUTPUT_DIR points there too):
 * its files are copied into the staging directory, refusing a model.onnx left over from an earlier run.
 */
async function collectOutputs(outputDir: string, staging: string, startedAt: number): Promise<void> {
  const written = await stat(path.join(outputDir, 'model.onnx')).catch(() => undefined);
  if (written === undefined || written.mtimeMs < startedAt - 1000) {
    throw new MlpError('training', `The training command did not write ${path.join(outputDir, 'model.onnx')} in this run.`, {
      hint: 'Write the model to training.outputDir (also in MLP_OUTPUT_DIR), or drop training.outputDir to use a fresh directory.',
    });
  }
  for (const entry of await readdir(outputDir)) {
    await cp(path.join(outputDir, entry), path.join(staging, entry), { recursive: true });
  }
}

async function requireDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new MlpError('config', `training.workdir ${dir} is not a directory.`, {
      hint: 'Set training.workdir to a directory relative to mlp.yaml (the default is ".").',
    });
  }
}
