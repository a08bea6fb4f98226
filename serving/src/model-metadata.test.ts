import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkModelMetadata,
  ModelMetadataError,
  modelMetadataSchema,
  parseModelMetadata,
  trainedModelMetadataSchema,
} from './model-metadata.js';

const trained = {
  model_name: 'fraud',
  model_version: '20240601T000000Z',
  model_type: 'LogisticRegression',
  feature_names: ['amount', 'hour_of_day'],
  classes: [0, 1],
  training_metrics: { accuracy: 0.8 },
  created_at: '2024-06-01T00:00:00Z',
};

function problems(schema: typeof modelMetadataSchema | typeof trainedModelMetadataSchema, document: unknown): string[] {
  const check = checkModelMetadata(schema, document, 'metadata.json');
  return check.ok ? [] : check.problems;
}

describe('the metadata.json schema', () => {
  it('serves a hand-written file: a numeric version, and defaults for the descriptive fields', () => {
    expect(
      parseModelMetadata({ model_name: 'fraud', model_version: 3, feature_names: ['a'], classes: ['no', 'yes'] }, 'metadata.json'),
    ).toEqual({
      model_name: 'fraud',
      model_version: '3',
      model_type: 'unknown',
      task: { type: 'classification' },
      feature_names: ['a'],
      classes: ['no', 'yes'],
      training_metrics: {},
      created_at: null,
    });
  });

  it('asks a training run for every field, model_version as a string', () => {
    const { model_type: _type, created_at: _created, ...rest } = trained;
    expect(problems(trainedModelMetadataSchema, { ...rest, model_version: 3 })).toEqual([
      'model_version: got 3, expected a non-empty string',
      'model_type: missing, expected a non-empty string',
      'created_at: missing, expected an ISO 8601 timestamp',
    ]);
  });

  it('names each field, and the element, that is wrong, all at once', () => {
    const check = checkModelMetadata(
      modelMetadataSchema,
      { ...trained, feature_names: ['a', 7], classes: 'fraud', created_at: 'yesterday' },
      'model/metadata.json',
    );
    expect(check).toEqual({
      ok: false,
      summary: 'model/metadata.json is missing or has invalid fields: feature_names, classes, created_at',
      problems: [
        'feature_names[1]: got 7, expected a non-empty string',
        'classes: got "fraud", expected an array of at least two strings or numbers',
        'created_at: got "yesterday", expected an ISO 8601 timestamp',
      ],
    });
  });

  it('rejects duplicate feature names and a document that is not an object', () => {
    expect(problems(modelMetadataSchema, { ...trained, feature_names: ['a', 'b', 'a'] })).toEqual(['feature_names: duplicate a']);
    expect(checkModelMetadata(modelMetadataSchema, [trained], 'metadata.json')).toMatchObject({
      ok: false,
      summary: 'metadata.json must hold a JSON object',
    });
  });

  it('throws a ModelMetadataError naming the file and the fields for the server', () => {
    expect(() => parseModelMetadata({ ...trained, classes: [1] }, '/models/fraud/metadata.json')).toThrow(ModelMetadataError);
    expect(() => parseModelMetadata({ ...trained, classes: [1] }, '/models/fraud/metadata.json')).toThrow(
      '/models/fraud/metadata.json: classes: got [1], expected an array of at least two strings or numbers',
    );
    expect(parseModelMetadata(trained, 'metadata.json', 'renamed').model_name).toBe('renamed');
  });

  it('serves every file a training run may register, with the same values', () => {
    // A registered file with some fields replaced by anything JSON can hold, or removed.
    const MISSING = Symbol('missing');
    const replacement = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(MISSING, '', ' ', 7, 'yesterday', ['a', 'a'], [0], {}));
    const changes = fc.dictionary(fc.constantFrom(...Object.keys(trained)), replacement, { maxKeys: 3 });
    fc.assert(
      fc.property(changes, (changed) => {
        const candidate: Record<string, unknown> = { ...trained };
        for (const [key, value] of Object.entries(changed)) {
          if (value === MISSING) delete candidate[key];
          else candidate[key] = value;
        }
        const asTrained = trainedModelMetadataSchema.safeParse(candidate);
        const asServed = modelMetadataSchema.safeParse(candidate);
        if (asTrained.success) expect(asServed.data).toEqual(asTrained.data);
        else if (!asServed.success) {
          // The server's rules are the training run's, less the fields it can default.
          const trainedFields = new Set(asTrained.error.issues.map((issue) => issue.path[0]));
          for (const issue of asServed.error.issues) expect(trainedFields).toContain(issue.path[0]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('fills feature_names and classes from a recommendation or forecast task, and asks a classification for them', () => {
    const base = { model_name: 'm', model_version: '1' };
    const recommendation = parseModelMetadata({ ...base, task: { type: 'recommendation', users: 10, items: 50 } }, 'metadata.json');
    expect([recommendation.feature_names, recommendation.classes]).toEqual([
      ['user', 'item'],
      [0, 1],
    ]);
    const forecast = parseModelMetadata({ ...base, task: { type: 'forecast', prediction_length: 7, frequency: 'D' } }, 'metadata.json');
    expect([forecast.feature_names, forecast.classes]).toEqual([[], []]);
    expect(problems(modelMetadataSchema, base)).toEqual([
      'feature_names: missing, expected a non-empty array of strings',
      'classes: missing, expected an array of at least two strings or numbers',
    ]);
    expect(problems(modelMetadataSchema, { ...base, task: { type: 'recommendation', users: 0, items: 2 } })).toEqual([
      'task.users: got 0, expected the number of user ids (ids are 0 … users-1)',
    ]);
  });

  it("keeps the page's per-feature hints, and checks them", () => {
    const base = { model_name: 'm', model_version: '1', feature_names: ['a', 'b'], classes: [0, 1] };
    const hinted = parseModelMetadata({ ...base, feature_types: { a: 'integer' }, feature_examples: { a: 3, b: 0.5 } }, 'metadata.json');
    expect([hinted.feature_types, hinted.feature_examples]).toEqual([{ a: 'integer' }, { a: 3, b: 0.5 }]);
    expect(problems(modelMetadataSchema, { ...base, feature_types: { a: 'text' }, feature_examples: { b: 'x' } })).toEqual([
      'feature_types.a: got "text", expected "number", "integer" or "boolean"',
      'feature_examples.b: got "x", expected a number',
    ]);
  });
});
