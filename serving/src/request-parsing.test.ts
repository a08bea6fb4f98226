import { describe, expect, it } from 'vitest';
import { ServingError } from './errors.js';
import { featureLayout, parseBatchBody, parsePredictBody } from './request-parsing.js';

const layout = featureLayout(['a', 'b', 'c']);

function failure(parse: () => unknown): { status: number; field: string | undefined; message: string } {
  try {
    parse();
  } catch (error) {
    if (error instanceof ServingError) return { status: error.status, field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected the body to be rejected');
}

describe('parsePredictBody with `features`', () => {
  it('takes one row in feature order and echoes request_id', () => {
    const request = parsePredictBody({ features: [1, 2.5, -3], request_id: 'r1' }, layout);
    expect([...request.rows]).toEqual([1, 2.5, -3]);
    expect(request).toMatchObject({ rowCount: 1, requestId: 'r1', shape: 'features', returnProbabilities: false });
  });

  it.each([
    [{ features: [1, 2] }, 'features', /expected 3 numbers/],
    [{ features: [1, 2, 3, 4] }, 'features', /got 4/],
    [{ features: 'abc' }, 'features', /array/],
    [{ features: [1, '2', 3] }, 'features[1]', /the string "2"/],
    [{ features: [1, null, 3] }, 'features[1]', /null/],
    [{ features: [1, 2, Infinity] }, 'features[2]', /finite/],
    [{ features: [1, 2, Number.NaN] }, 'features[2]', /finite/],
    [{ features: [1, 2, 1e39] }, 'features[2]', /float32/],
    [{ features: [1, 2, true] }, 'features[2]', /true/],
    [{ features: [1, 2, 3], request_id: 5 }, 'request_id', /string/],
    [{ features: [1, 2, 3], return_probabilities: 'yes' }, 'return_probabilities', /true or false/],
    [{ features: [1, 2, 3], extra: 1 }, 'extra', /unknown field/],
    [{ features: [1, 2, 3], inputs: {} }, 'inputs', /not both/],
    [{}, 'features', /missing/],
  ])('rejects %j as 422 at %s', (body, field, message) => {
    const problem = failure(() => parsePredictBody(body, layout));
    expect(problem).toMatchObject({ status: 422, field });
    expect(problem.message).toMatch(message);
  });

  it('rejects a body that is not an object', () => {
    for (const body of [null, [1, 2, 3], 'x', 3]) expect(failure(() => parsePredictBody(body, layout)).status).toBe(422);
  });
});

describe('parsePredictBody with columnar `inputs`', () => {
  it('interleaves columns into rows', () => {
    const request = parsePredictBody({ inputs: { a: [1, 2], b: [3, 4], c: [5, 6] }, return_probabilities: true }, layout);
    expect([...request.rows]).toEqual([1, 3, 5, 2, 4, 6]);
    expect(request).toMatchObject({ rowCount: 2, shape: 'inputs', returnProbabilities: true });
  });

  it.each([
    [{ inputs: { a: [1], b: [2] } }, 'inputs.c', /missing feature/],
    [{ inputs: { a: [1], b: [2], c: [3], d: [4] } }, 'inputs.d', /not a feature/],
    [{ inputs: { a: [1], b: [2], cc: [3] } }, 'inputs.cc', /not a feature/],
    [{ inputs: { a: [1, 2], b: [2], c: [3, 4] } }, 'inputs.b', /has 1 values but inputs.a has 2/],
    [{ inputs: { a: [1, 2], b: [2, 3], c: [3, 'x'] } }, 'inputs.c[1]', /string/],
    [{ inputs: { a: [], b: [], c: [] } }, 'inputs.a', /at least one/],
    [{ inputs: { a: 1, b: [2], c: [3] } }, 'inputs.a', /array/],
    [{ inputs: [1, 2, 3] }, 'inputs', /object/],
  ])('rejects %j as 422 at %s', (body, field, message) => {
    const problem = failure(() => parsePredictBody(body, layout));
    expect(problem).toMatchObject({ status: 422, field });
    expect(problem.message).toMatch(message);
  });
});

describe('parseBatchBody', () => {
  it('places each instance value by feature name', () => {
    const request = parseBatchBody(
      {
        instances: [
          { c: 3, a: 1, b: 2 },
          { a: 4, b: 5, c: 6 },
        ],
      },
      layout,
    );
    expect([...request.rows]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(request.rowCount).toBe(2);
  });

  it.each([
    [{ instances: [] }, 'instances', /at least one/],
    [{ instances: {} }, 'instances', /array/],
    [{ instances: [{ a: 1, b: 2 }] }, 'instances[0].c', /missing/],
    [
      {
        instances: [
          { a: 1, b: 2, c: 3 },
          { a: 1, b: 2, c: 3, z: 1 },
        ],
      },
      'instances[1].z',
      /not a feature/,
    ],
    [{ instances: [{ a: 1, b: 2, c: null }] }, 'instances[0].c', /null/],
    [{ instances: [5] }, 'instances[0]', /object/],
    [{ rows: [] }, 'rows', /unknown field/],
    [{}, 'instances', /missing/],
  ])('rejects %j as 422 at %s', (body, field, message) => {
    const problem = failure(() => parseBatchBody(body, layout));
    expect(problem).toMatchObject({ status: 422, field });
    expect(problem.message).toMatch(message);
  });
});
