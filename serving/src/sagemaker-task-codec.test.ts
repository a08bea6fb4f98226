import { describe, expect, it } from 'vitest';
import { ServingError } from './errors.js';
import { encodeFactorizationMachineRows, encodeForecastRequest, parseForecastBody, taskEndpointRequest } from './sagemaker-task-codec.js';

const recommendation = { type: 'recommendation', users: 3, items: 4 } as const;

describe('the SageMaker built-in algorithms’ request bodies', () => {
  it('encodes each (user, item) pair as a one-hot sparse row of users + items columns for Factorization Machines', () => {
    expect(JSON.parse(encodeFactorizationMachineRows(Float32Array.from([2, 0, 1, 3]), 2, recommendation))).toEqual({
      instances: [
        { data: { features: { keys: [2, 3], shape: [7], values: [1, 1] } } },
        { data: { features: { keys: [1, 6], shape: [7], values: [1, 1] } } },
      ],
    });
  });

  it('refuses an id outside the model’s range with the field named', () => {
    const attempt = () => encodeFactorizationMachineRows(Float32Array.from([1, 4]), 1, recommendation);
    expect(attempt).toThrow(ServingError);
    expect(attempt).toThrow('features[1]: got 4, expected an item id: an integer from 0 to 3 (metadata.json task.items is 4)');
  });

  it('asks DeepAR for the mean and the requested quantiles of one series', () => {
    expect(JSON.parse(encodeForecastRequest(parseForecastBody({ start: '2026-11-01', target: [1, 2], quantiles: [0.5] })))).toEqual({
      instances: [{ start: '2026-11-01', target: [1, 2] }],
      configuration: { num_samples: 100, output_types: ['mean', 'quantiles'], quantiles: ['0.5'] },
    });
  });

  it('gives mlp debug the body the app sends for a smoke request of each task', () => {
    expect(taskEndpointRequest({ user: 1, items: [0, 3] }, recommendation)).toBe(
      encodeFactorizationMachineRows(Float32Array.from([1, 0, 1, 3]), 2, recommendation),
    );
    expect(taskEndpointRequest({ features: [1, 3] }, recommendation)).toBe(
      encodeFactorizationMachineRows(Float32Array.from([1, 3]), 1, recommendation),
    );
    const forecast = { type: 'forecast', prediction_length: 7, frequency: 'D' } as const;
    expect(taskEndpointRequest({ start: '2026-11-01', target: [5] }, forecast)).toBe(
      encodeForecastRequest({ start: '2026-11-01', target: [5], quantiles: [0.1, 0.5, 0.9] }),
    );
    expect(taskEndpointRequest({ features: [1, 2, 3] }, { type: 'classification' })).toBeUndefined();
  });
});
