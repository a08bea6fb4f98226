/**
 * The training image's inputs (training.remote.enabled): templates/docker/train.Dockerfile, the runner that is its
 * ENTRYPOINT (templates/docker/train-runtime/, under .mlp-train/ in the context) and the training workdir, without what
 * never belongs in an image (mlp's state, git, virtualenvs, caches).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProjectConfig } from '../config/load.js';
import type { MlpConfig } from '../config/schema.js';
import { MlpError } from '../errors.js';
import { packageFile } from '../package-root.js';
import { DOCKERFILE_IN_CONTEXT, type ContextFile, type ImageInputs } from './build-inputs.js';

/** The training image's name beside the services' (a service cannot be called this: names are DNS labels, this has a dot). */
export const TRAINING_IMAGE = 'training.job';

/** Where the runner's files go in the build context; the workdir's own files never take this name. */
const RUNNER_IN_CONTEXT = '.mlp-train';
const RUNNER_FILES = ['mlp_train_job.py', 'requirements.txt'];

const LEFT_OUT = new Set([
  '.mlp',
  '.git',
  '.venv',
  'venv',
  '__pycache__',
  'node_modules',
  '.pytest_cache',
  '.mypy_cache',
  DOCKERFILE_IN_CONTEXT,
  RUNNER_IN_CONTEXT,
]);

export async function trainingImageInputs(
  project: ProjectConfig,
  training: NonNullable<MlpConfig['training']>,
  platform: string,
): Promise<ImageInputs> {
  const workdir = path.resolve(project.dir, training.workdir);
  const requirements = training.requirements ?? 'requirements.txt';
  if (!(await stat(path.join(workdir, requirements)).catch(() => undefined))?.isFile()) {
    throw new MlpError(
      'config',
      `training.requirements: ${path.join(workdir, requirements)} does not exist; the training image installs it.`,
      {
        hint: 'list the training dependencies in a pip requirements file and set training.requirements',
      },
    );
  }
  const files: ContextFile[] = [
    { path: DOCKERFILE_IN_CONTEXT, source: packageFile('templates/docker/train.Dockerfile') },
    ...RUNNER_FILES.map((name) => ({
      path: `${RUNNER_IN_CONTEXT}/${name}`,
      source: packageFile(`templates/docker/train-runtime/${name}`),
    })),
  ];
  for (const file of await walk(workdir)) files.push({ path: path.relative(workdir, file).split(path.sep).join('/'), source: file });
  return { files, args: { BASE_IMAGE: project.config.build.pythonBaseImage, REQUIREMENTS: requirements, platform } };
}

async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (LEFT_OUT.has(entry.name) || entry.name.endsWith('.pyc')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full)));
    else if (entry.isFile()) found.push(full);
  }
  return found.sort();
}
