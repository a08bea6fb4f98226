import { describe, expect, it } from 'vitest';
import { BackendError } from './errors.js';
import { decodePrediction, encodeRows } from './sagemaker-codec.js';

const rows = new Float32Array([1, 2.5, 3, 4, 5, 6]);

describe('encodeRows', () => {
  it('writes one CSV line per row', () => {
    expect(encodeRows(rows, 2, 3, 'text/csv')).toBe('1,2.5,3\n4,5,6');
  });
  it('writes JSON instances', () => {
    expect(JSON.parse(encodeRows(rows, 2, 3, 'application/json'))).toEqual({
      instances: [
        [1, 2.5, 3],
        [4, 5, 6],
      ],
    });
  });
});

describe('decodePrediction', () => {
  const round = (values: Float32Array) => [...values].map((v) => Math.round(v * 1000) / 1000);

  it('reads XGBoost binary scores from CSV as P(classes[1])', () => {
    const prediction = decodePrediction('0.2\n0.9\n', 'text/csv; charset=utf-8', [0, 1], 2);
    expect(prediction.labels).toEqual([0, 1]);
    expect(round(prediction.probabilities)).toEqual([0.8, 0.2, 0.1, 0.9]);
  });

  it('reads comma-separated scores and probability rows', () => {
    expect(decodePrediction('0.7,0.1', 'text/csv', [0, 1], 2).labels).toEqual([1, 0]);
    expect(decodePrediction('0.1,0.2,0.7\n0.6,0.3,0.1', 'text/csv', ['a', 'b', 'c'], 2).labels).toEqual(['c', 'a']);
  });

  it('reads JSON predictions in their common shapes', () => {
    expect(decodePrediction('{"predictions":[0.9,0.1]}', 'application/json', [0, 1], 2).labels).toEqual([1, 0]);
    expect(decodePrediction('{"predictions":[[0.3,0.7]]}', 'application/json', [0, 1], 1).labels).toEqual([1]);
    expect(decodePrediction('{"predictions":[{"score":0.2}]}', 'application/json', [0, 1], 1).labels).toEqual([0]);
    const explicit = decodePrediction(
      '{"predictions":[{"predicted_label":"b","probabilities":[0.4,0.6]}]}',
      'application/json',
      ['a', 'b'],
      1,
    );
    expect(explicit.labels).toEqual(['b']);
    expect(decodePrediction('[0.6]', undefined, [0, 1], 1).labels).toEqual([1]);
  });

  it.each([
    ['body', 'text/xml'],
    ['0.1,0.2,0.3', 'text/csv'],
    ['{"predictions":[0.1]}', 'application/json'],
    ['{"outputs":[0.1,0.2]}', 'application/json'],
    ['{"predictions":[{"predicted_label":"z","score":0.1},{"score":0.2}]}', 'application/json'],
    ['{not json', 'application/json'],
  ])('answers 502 for %j', (body, contentType) => {
    expect(() => decodePrediction(body, contentType, [0, 1], 2)).toThrow(BackendError);
  });
});
