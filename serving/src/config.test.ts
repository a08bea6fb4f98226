import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problem(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({ MODEL_DIR: '/models/fraud' })).toEqual({
      modelDir: '/models/fraud',
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'info',
      maxBodyBytes: 1_048_576,
      shutdownTimeoutMs: 10_000,
      shutdownDelayMs: 0,
      modelName: undefined,
      onnxIntraOpThreads: 1,
      sagemaker: undefined,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      MODEL_DIR: '/m',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'WARN',
      MAX_BODY_BYTES: '2048',
      SHUTDOWN_TIMEOUT_MS: '500',
      SHUTDOWN_DELAY_MS: '100',
      MODEL_NAME: 'fraud-v2',
      SAGEMAKER_ENDPOINT: 'fraud-ep',
      SAGEMAKER_CONTENT_TYPE: 'application/json',
      AWS_REGION: 'eu-north-1',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      maxBodyBytes: 2048,
      shutdownTimeoutMs: 500,
      shutdownDelayMs: 100,
      modelName: 'fraud-v2',
    });
    expect(config.sagemaker).toEqual({ endpoint: 'fraud-ep', contentType: 'application/json', region: 'eu-north-1' });
  });

  it.each([
    [{}, 'MODEL_DIR'],
    [{ MODEL_DIR: '/m', PORT: 'http' }, 'PORT'],
    [{ MODEL_DIR: '/m', PORT: '70000' }, 'PORT'],
    [{ MODEL_DIR: '/m', PORT: '-1' }, 'PORT'],
    [{ MODEL_DIR: '/m', MAX_BODY_BYTES: '1MB' }, 'MAX_BODY_BYTES'],
    [{ MODEL_DIR: '/m', MAX_BODY_BYTES: '0' }, 'MAX_BODY_BYTES'],
    [{ MODEL_DIR: '/m', SHUTDOWN_TIMEOUT_MS: '1.5' }, 'SHUTDOWN_TIMEOUT_MS'],
    [{ MODEL_DIR: '/m', LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ MODEL_DIR: '/m', SAGEMAKER_ENDPOINT: 'ep' }, 'AWS_REGION'],
    [{ MODEL_DIR: '/m', SAGEMAKER_ENDPOINT: 'ep', AWS_REGION: 'us-east-1', SAGEMAKER_CONTENT_TYPE: 'text/xml' }, 'SAGEMAKER_CONTENT_TYPE'],
    [{ MODEL_DIR: '/m', SAGEMAKER_CONTENT_TYPE: 'text/csv' }, 'SAGEMAKER_CONTENT_TYPE'],
    [{ SAGEMAKER_ENDPOINT: 'ep', AWS_REGION: 'us-east-1' }, 'MODEL_DIR'],
  ])('rejects %j naming %s', (env, variable) => {
    const error = problem(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });
});
