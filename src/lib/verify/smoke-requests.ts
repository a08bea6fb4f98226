/**
 * Smoke tests: the requests a service's `smoke` list names, each of which must answer its expectStatus. With no
 * smoke list, /ready must answer 200. A failure says which request, what came back and what was expected.
 */
import type { SmokeTest } from '../config/schema.js';
import { MlpError } from '../errors.js';
import { fetchWithin } from '../http.js';

const REQUEST_TIMEOUT_MS = 10_000;

/** One passed smoke request: what the test stage and `mlp test` report. */
export interface SmokeTestResult {
  service: string;
  line: string;
}

/** Runs them in order against `baseUrl`; resolves with one line per passed request. */
export async function runSmokeTests(baseUrl: string, tests: readonly SmokeTest[], signal: AbortSignal): Promise<string[]> {
  const all: readonly SmokeTest[] = tests.length > 0 ? tests : [{ name: 'ready', method: 'GET', path: '/ready', expectStatus: 200 }];
  const passed: string[] = [];
  for (const [index, test] of all.entries()) {
    const label = test.name ?? `smoke[${index}]`;
    const started = Date.now();
    const request = {
      method: test.method,
      ...(test.body === undefined ? {} : { body: JSON.stringify(test.body), headers: { 'content-type': 'application/json' } }),
    };
    const { status, body } = await fetchWithin(`${baseUrl}${test.path}`, request, REQUEST_TIMEOUT_MS, signal).catch((error: unknown) => {
      throw new MlpError(
        'smokeTest',
        `Smoke test ${label} (${test.method} ${baseUrl}${test.path}) got no answer: ${(error as Error).message}`,
      );
    });
    if (status !== test.expectStatus) {
      throw new MlpError(
        'smokeTest',
        `Smoke test ${label} (${test.method} ${test.path}) answered ${status}, expected ${test.expectStatus}.`,
        {
          details: [body.length > 500 ? `${body.slice(0, 500)}…` : body],
          hint: "check the request in services[].smoke and the service's logs (docker logs)",
        },
      );
    }
    passed.push(`smoke test ${label}: ${test.method} ${test.path} → ${status} in ${Date.now() - started} ms`);
  }
  return passed;
}
