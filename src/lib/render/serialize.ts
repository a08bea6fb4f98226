/**
 * Rendered objects as YAML: one document per object, "---" between them, keys in the order the templates give
 * (so a diff between two renders shows only what changed), and never folded lines or YAML anchors, which some
 * tools mishandle.
 */
import { stringify } from 'yaml';
import type { RenderedObject } from './renderer.js';

export function toYaml(objects: readonly RenderedObject[]): string {
  return objects.map((object) => objectYaml(object)).join('---\n');
}

export function objectYaml(object: RenderedObject): string {
  return stringify(object, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** `NN-kind-name.yaml`, numbered in apply order so `kubectl apply -f DIR` (which goes by name) keeps that order. */
export function manifestFileName(index: number, object: RenderedObject, count: number): string {
  const digits = Math.max(2, String(count).length);
  return `${String(index + 1).padStart(digits, '0')}-${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}
