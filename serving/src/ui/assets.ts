/**
 * The page's files (files.json: index.html, page.js, page.css beside this module, and uPlot's build from
 * node_modules), as strings. Read from disk when the server runs from source (tests, tsx); scripts/build.mjs
 * replaces this module with one that holds the same strings, read from the same list, so that
 * dist/serving/server.js, which is all a serving image has of the app, carries the page with it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import files from './files.json' with { type: 'json' };

export type UiAssets = Record<keyof typeof files, string>;

const resolvePackageFile = createRequire(import.meta.url).resolve;

export const UI_ASSETS = Object.fromEntries(
  Object.entries(files).map(([key, file]) => [
    key,
    readFileSync(file.startsWith('./') ? new URL(file, import.meta.url) : resolvePackageFile(file), 'utf8'),
  ]),
) as UiAssets;
