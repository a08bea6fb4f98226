/**
 * `mlp render --out DIR`: one file per object. Files an earlier render wrote there (recognised by their first
 * line) are removed first, so an object that is no longer rendered does not linger for `kubectl apply -f DIR`;
 * any other file in DIR is left alone.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RenderedObject } from './renderer.js';
import { manifestFileName, objectYaml } from './serialize.js';

export const RENDERED_HEADER = '# Rendered by mlp render from templates/k8s; edit mlp.yaml and render again rather than this file.';

export async function writeManifests(dir: string, objects: readonly RenderedObject[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    if (!/^\d+-.+\.yaml$/.test(name)) continue;
    const file = path.join(dir, name);
    const first = (await readFile(file, 'utf8').catch(() => '')).split('\n', 1)[0];
    if (first === RENDERED_HEADER) await rm(file, { force: true });
  }
  const files: string[] = [];
  for (const [index, object] of objects.entries()) {
    const file = path.join(dir, manifestFileName(index, object, objects.length));
    await writeFile(file, `${RENDERED_HEADER}\n${objectYaml(object)}`);
    files.push(file);
  }
  return files;
}
