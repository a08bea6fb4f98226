// Module hooks for test/startup.test.ts: append every resolved module URL to $MLP_IMPORT_LOG, so the test can
// see what `mlp --help` really loads.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(process.env.MLP_IMPORT_LOG, `${resolved.url}\n`);
  return resolved;
}
