/**
 * metadata.json, written next to model.onnx by the training script (examples/fraud/train.py is the reference):
 * `{model_name, model_version, model_type, feature_names[], classes[], training_metrics{}, created_at}`.
 *
 * The one schema of that file. The server reads it once at start-up and checks it strictly, because every request
 * is validated against feature_names; `mlp train` checks a training run's output against the same fields before
 * registering it (src/lib/model/validate.ts), so a model that trains is a model that serves. The server also
 * reads hand-written files (a SageMaker proxy's), so there model_version may be a number and the descriptive
 * fields may be absent; a training run must write them all.
 *
 * `task` says what the model answers (seed 000's three endpoints are three kinds): a classification (the default:
 * feature_names in, one of classes out), a recommendation (a Factorization Machines model scoring one-hot
 * (user, item) pairs: feature_names and classes default to ["user", "item"] and [0, 1]) or a forecast (DeepAR: a
 * time series in, prediction_length future values out; no feature_names or classes).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
// zod/mini: a quarter of zod's size in the server bundle, which has no other use for zod.
import * as z from 'zod/mini';

export type ClassLabel = number | string;

/** `got "fraud"` or `missing`: the value as the file holds it, shortened. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return `got ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

/** zod's error option: the message says what the field holds and what it should hold. */
const expected = (what: string) => ({ error: (issue: { input?: unknown }) => `${describeValue(issue.input)}, expected ${what}` });

const nonEmptyText = z
  .string(expected('a non-empty string'))
  .check(z.refine((value) => value.trim() !== '', expected('a non-empty string')));

const featureNames = z.array(nonEmptyText, expected('a non-empty array of strings')).check(
  z.minLength(1, expected('a non-empty array of strings')),
  z.superRefine((names, context) => {
    const duplicates = [...new Set(names.filter((name, index) => names.indexOf(name) !== index))];
    if (duplicates.length > 0) context.addIssue({ code: 'custom', message: `duplicate ${duplicates.join(', ')}`, input: names });
  }),
);

const classes = z
  .array(z.union([z.string(), z.number()], expected('a string or a number')), expected('an array of at least two strings or numbers'))
  .check(z.minLength(2, expected('an array of at least two strings or numbers')));

const trainingMetrics = z.record(z.string(), z.unknown(), expected('an object'));

const createdAt = z
  .string(expected('an ISO 8601 timestamp'))
  .check(z.refine((value) => value.trim() !== '' && !Number.isNaN(Date.parse(value)), expected('an ISO 8601 timestamp')));

const positiveInt = (what: string) => z.int(expected(what)).check(z.refine((value) => value >= 1 && value <= 100_000_000, expected(what)));

const taskSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('classification') }),
    z.object({
      type: z.literal('recommendation'),
      users: positiveInt('the number of user ids (ids are 0 … users-1)'),
      items: positiveInt('the number of item ids (ids are 0 … items-1)'),
    }),
    z.object({
      type: z.literal('forecast'),
      prediction_length: positiveInt('how many future values the model predicts'),
      frequency: nonEmptyText,
    }),
  ],
  expected('{"type": "classification"}, {"type": "recommendation", users, items} or {"type": "forecast", prediction_length, frequency}'),
);

export type ModelTask = z.output<typeof taskSchema>;

/** feature_names and classes as each task has them when the file leaves them out (undefined: required). */
const TASK_DEFAULTS: Record<ModelTask['type'], { feature_names?: string[]; classes?: ClassLabel[] }> = {
  classification: {},
  recommendation: { feature_names: ['user', 'item'], classes: [0, 1] },
  forecast: { feature_names: [], classes: [] },
};

/**
 * Reports feature_names and classes missing where the task needs them. It runs even when other fields are wrong
 * (zod's `when`), so a file's problems are all listed at once.
 */
type CustomIssue = { code: 'custom'; path: PropertyKey[]; message: string; input: unknown };

function requireTaskFields(metadata: Record<string, unknown>, context: { addIssue(issue: CustomIssue): void }): void {
  const task = metadata.task as { type?: unknown } | undefined;
  const type = task?.type ?? 'classification';
  if (typeof type !== 'string' || !(type in TASK_DEFAULTS)) return;
  const defaults = TASK_DEFAULTS[type as ModelTask['type']];
  for (const [field, what] of [
    ['feature_names', 'a non-empty array of strings'],
    ['classes', 'an array of at least two strings or numbers'],
  ] as const) {
    if (metadata[field] === undefined && defaults[field] === undefined)
      context.addIssue({ code: 'custom', path: [field], message: `missing, expected ${what}`, input: undefined });
  }
}

/** Fills feature_names and classes from the task's defaults (requireTaskFields saw to the required ones). */
function withTaskDefaults<T extends { task: ModelTask; feature_names?: string[] | undefined; classes?: ClassLabel[] | undefined }>(
  metadata: T,
): T & { feature_names: string[]; classes: ClassLabel[] } {
  const defaults = TASK_DEFAULTS[metadata.task.type];
  return {
    ...metadata,
    feature_names: metadata.feature_names ?? defaults.feature_names ?? [],
    classes: metadata.classes ?? defaults.classes ?? [],
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const whenObject = { when: (payload: { value: unknown }) => isObject(payload.value) };

/** The fields of the file, before the task's defaults are filled in. */
const metadataFields = z.object(
  {
    model_name: nonEmptyText,
    // Versions are often written as numbers ("1") by hand; accept both and serve a string.
    model_version: z.pipe(z.union([nonEmptyText, z.number()], expected('a non-empty string or a number')), z.transform(String)),
    model_type: z._default(nonEmptyText, 'unknown'),
    task: z._default(taskSchema, { type: 'classification' }),
    feature_names: z.optional(featureNames),
    classes: z.optional(classes),
    training_metrics: z._default(trainingMetrics, {}),
    created_at: z._default(z.nullable(createdAt), null),
    // Hints for the page's form (serving/src/ui), keyed by feature name: what a value is, and one to try.
    feature_types: z.optional(z.record(z.string(), z.enum(['number', 'integer', 'boolean'], expected('"number", "integer" or "boolean"')))),
    feature_examples: z.optional(z.record(z.string(), z.number(expected('a number')))),
  },
  expected('a JSON object'),
);

const taskFieldsCheck = z.superRefine((value: Record<string, unknown>, context) => requireTaskFields(value, context), whenObject);

/** What the server accepts, with the defaults it serves for fields a hand-written file may leave out. */
export const modelMetadataSchema = z.pipe(metadataFields.check(taskFieldsCheck), z.transform(withTaskDefaults));

/** What a training run must write: every field, model_version as the string mlp passed in MLP_MODEL_VERSION. */
export const trainedModelMetadataSchema = z.pipe(
  z
    .extend(metadataFields, {
      model_version: nonEmptyText,
      model_type: nonEmptyText,
      training_metrics: trainingMetrics,
      created_at: createdAt,
    })
    .check(taskFieldsCheck),
  z.transform(withTaskDefaults),
);

export type ModelMetadata = z.output<typeof modelMetadataSchema>;
export type TrainedModelMetadata = z.output<typeof trainedModelMetadataSchema>;

export type MetadataCheck<T> = { ok: true; metadata: T } | { ok: false; summary: string; problems: string[] };

/**
 * Checks a parsed metadata.json against `schema`, reporting every problem at once. `summary` names the file
 * (`source`) and the fields; each problem line starts with its field: `classes: got "fraud", expected …`.
 */
export function checkModelMetadata<S extends typeof modelMetadataSchema | typeof trainedModelMetadataSchema>(
  schema: S,
  document: unknown,
  source: string,
): MetadataCheck<z.output<S>> {
  const result = schema.safeParse(document);
  if (result.success) return { ok: true, metadata: result.data as z.output<S> };
  const problems = result.error.issues.map((issue) =>
    issue.path.length === 0 ? issue.message : `${fieldPath(issue.path)}: ${issue.message}`,
  );
  if (result.error.issues.some((issue) => issue.path.length === 0))
    return { ok: false, summary: `${source} must hold a JSON object`, problems };
  const fields = [...new Set(result.error.issues.map((issue) => String(issue.path[0])))];
  return { ok: false, summary: `${source} is missing or has invalid fields: ${fields.join(', ')}`, problems };
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`)).join('');
}

export class ModelMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelMetadataError';
  }
}

export async function readModelMetadata(modelDir: string, modelNameOverride?: string): Promise<ModelMetadata> {
  const file = path.join(modelDir, 'metadata.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelMetadataError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ModelMetadataError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseModelMetadata(document, file, modelNameOverride);
}

/** Checks the parsed document; `source` names the file in error messages. */
export function parseModelMetadata(document: unknown, source: string, modelNameOverride?: string): ModelMetadata {
  const check = checkModelMetadata(modelMetadataSchema, document, source);
  if (!check.ok) throw new ModelMetadataError(`${source}: ${check.problems.join('; ')}`);
  return modelNameOverride === undefined ? check.metadata : { ...check.metadata, model_name: modelNameOverride };
}
