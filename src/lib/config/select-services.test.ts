import { describe, expect, it } from 'vitest';
import { MlpError } from '../errors.js';
import type { ServiceConfig } from './schema.js';
import { selectServices } from './select-services.js';

const config = { services: ['fraud', 'churn', 'ranking'].map((name) => ({ name }) as ServiceConfig) };
const names = (services: readonly ServiceConfig[]) => services.map((service) => service.name);

describe('selectServices', () => {
  it('chooses every service when no name is given', () => {
    expect(names(selectServices(config, undefined))).toEqual(['fraud', 'churn', 'ranking']);
    expect(names(selectServices(config, []))).toEqual(['fraud', 'churn', 'ranking']);
  });

  it("returns the named services in mlp.yaml's order, each once", () => {
    expect(names(selectServices(config, ['ranking', 'fraud', 'ranking']))).toEqual(['fraud', 'ranking']);
  });

  it('names an unknown service, lists the services and suggests the closest, as a usage error (exit 2)', () => {
    const error = catchError(() => selectServices(config, ['fraud', 'frud']));
    expect(error).toBeInstanceOf(MlpError);
    expect(error).toMatchObject({
      kind: 'usage',
      exitCode: 2,
      message: 'mlp.yaml has no service frud (did you mean fraud?).',
      hint: 'services: fraud, churn, ranking',
    });
  });

  it('suggests nothing when no service is close', () => {
    expect(catchError(() => selectServices(config, ['billing'])).message).toBe('mlp.yaml has no service billing.');
  });
});

function catchError(run: () => unknown): MlpError {
  try {
    run();
  } catch (error) {
    return error as MlpError;
  }
  throw new Error('expected an error');
}
