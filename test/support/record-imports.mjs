import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

// ES modules: through the resolve hook. CommonJS (bin/mlp and dist/cli.cjs are): through the CommonJS resolver.
register('./import-hooks.mjs', import.meta.url);
const Module = createRequire(import.meta.url)('node:module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function recordResolved(...args) {
  const resolved = resolveFilename.apply(this, args);
  appendFileSync(process.env.MLP_IMPORT_LOG, `${resolved.startsWith('/') ? pathToFileURL(resolved).href : resolved}\n`);
  return resolved;
};
