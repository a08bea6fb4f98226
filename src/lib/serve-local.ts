/**
 * `mlp serve`: runs the bundled serving app on this machine, as its own process exactly as the container runs it
 * (`node dist/serving/server.js` configured by environment variables), on a model directory or a version from the
 * local model registry.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandContext } from './context.js';
import { MlpError, UsageError } from './errors.js';
import { runProgram } from './exec.js';
import { packageFile } from './package-root.js';
import { modelDir, readLatest, VERSION_PATTERN } from './model/registry.js';

export interface ServeRequest {
  /** A model directory given on the command line (relative to the working directory). */
  model?: string;
  /** A registered version of the project's model; default: latest. */
  modelVersion?: string;
  port: number;
  host: string;
}

export interface ServedModel {
  modelDir: string;
  /** How the model was chosen, for the first line the user sees. */
  origin: string;
}

export const SERVER_ENTRY = packageFile('dist/serving/server.js');

/** The model `mlp serve` runs: --model, else the requested or latest registered version of the project's model. */
export async function resolveServedModel(context: CommandContext, request: ServeRequest): Promise<ServedModel> {
  if (request.model !== undefined) {
    if (request.modelVersion !== undefined) throw new UsageError('--model and --model-version choose the model two ways; pass one.');
    const dir = path.resolve(context.io.cwd, request.model);
    await requireModelFiles(dir, '--model');
    return { modelDir: dir, origin: `--model ${request.model}` };
  }
  const project = await context.loadConfig();
  const name = project.config.name;
  // The first service's model, as `mlp deploy --target local` would run it.
  const model = project.config.services[0]!.model;
  if (model.source === 'dir' && request.modelVersion === undefined) {
    const dir = path.resolve(project.dir, model.path);
    await requireModelFiles(dir, `services[0].model.path`);
    return { modelDir: dir, origin: `${model.path} (services[0].model.path)` };
  }
  if (model.source === 'sagemaker') {
    throw new UsageError(`services[0] serves the SageMaker endpoint ${model.endpoint}; mlp serve runs local models.`, {
      hint: 'Pass --model <dir> to serve a local model.onnx instead.',
    });
  }
  if (request.modelVersion !== undefined && !VERSION_PATTERN.test(request.modelVersion)) {
    throw new UsageError(`--model-version "${request.modelVersion}" is not a model version.`, {
      hint: 'Versions look like 20261123T081500Z; "mlp train --list" shows them.',
    });
  }
  const version = request.modelVersion ?? (await readLatest(project.dir, name));
  if (version === undefined) {
    throw new MlpError('prerequisite', `No trained version of ${name} is registered in ${project.dir}.`, {
      hint: 'Run "mlp train" first, or pass --model <dir> with a model.onnx and metadata.json.',
    });
  }
  const versionDir = path.join(modelDir(project.dir, name), version);
  if (!(await stat(versionDir).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`Version ${version} of ${name} is not registered.`, { hint: 'Run "mlp train --list" to see the versions.' });
  }
  await requireModelFiles(versionDir, `version ${version}`);
  return { modelDir: versionDir, origin: `${name} ${version}${request.modelVersion === undefined ? ' (latest)' : ''}` };
}

async function requireModelFiles(modelDir: string, what: string): Promise<void> {
  for (const file of ['model.onnx', 'metadata.json']) {
    const info = await stat(path.join(modelDir, file)).catch(() => undefined);
    if (!info?.isFile()) {
      throw new UsageError(`${what}: ${path.join(modelDir, file)} does not exist.`, {
        hint: 'A model directory holds model.onnx and metadata.json, as "mlp train" writes them.',
      });
    }
  }
}

/**
 * Runs the server until Ctrl-C (the context's signal) and resolves after it drained; the server's JSON log lines
 * go to stderr. A server that exits on its own (bad model, port in use) is a failure with its last lines.
 */
export async function serveModel(context: CommandContext, served: ServedModel, request: ServeRequest): Promise<void> {
  const entry = await stat(SERVER_ENTRY).catch(() => undefined);
  if (!entry?.isFile()) {
    throw new MlpError('prerequisite', `The serving app is not built (${SERVER_ENTRY} is missing).`, {
      hint: 'Run "npm run build" in mlp.',
    });
  }
  const url = `http://${request.host.includes(':') ? `[${request.host}]` : request.host}:${request.port}`;
  context.output.info(`serving ${served.origin} from ${served.modelDir} on ${url} (Ctrl-C stops it)`);
  const ready = announceWhenReady(url, context);

  const result = await runProgram(process.execPath, [SERVER_ENTRY], {
    cwd: served.modelDir,
    baseEnv: context.io.env,
    env: { MODEL_DIR: served.modelDir, PORT: String(request.port), HOST: request.host },
    signal: context.signal,
    onLine: (line) => context.io.stderr.write(`${line}\n`),
    displayName: 'the serving app',
  });
  ready.abort();
  // Ctrl-C reaches the server as SIGTERM (execa's cancelSignal): it drains and exits 0, which is success here.
  if (result.canceled || result.exitCode === 0) return;
  throw new MlpError(
    'serve',
    `The serving app stopped with ${result.exitCode === undefined ? `signal ${result.signal}` : `exit code ${result.exitCode}`}.`,
    {
      details: result.tail.slice(-10),
      hint: 'Its last log lines are above; a model that does not load, or a port in use (--port), are the usual causes.',
    },
  );
}

/** Polls /ready and prints one line when the model is loaded, so a person knows when to send requests. */
function announceWhenReady(url: string, context: CommandContext): AbortController {
  const stop = new AbortController();
  void (async () => {
    while (!stop.signal.aborted) {
      const status = await fetch(`${url}/ready`, { signal: stop.signal }).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) {
        context.output.info(`ready: ${url}/predict, ${url}/v2/models, ${url}/metrics`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return stop;
}
