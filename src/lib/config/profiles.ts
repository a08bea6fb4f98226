/**
 * Profiles, Skaffold-style: picked by name (--profile) or by `activation.env`, then laid over the base
 * configuration — objects merge key by key, lists are replaced, except `services`, which merge by name (a
 * service with a new name is appended). A service's `model` is replaced whole, since its shape depends on
 * `source`.
 */
import type { Env } from './interpolate.js';
import type { FieldPath } from './locate.js';

export interface RawProfile {
  name?: unknown;
  activation?: { env?: unknown };
  [section: string]: unknown;
}

/** True when the activation condition holds: `VAR=value` matches that value, `VAR` any non-empty value. */
export function activationMatches(condition: string, env: Env): boolean {
  const equals = condition.indexOf('=');
  if (equals === -1) return (env[condition] ?? '') !== '';
  return env[condition.slice(0, equals)] === condition.slice(equals + 1);
}

/** Index of the first profile whose activation.env matches, or -1. */
export function activeProfileIndex(profiles: readonly RawProfile[], env: Env): number {
  return profiles.findIndex((profile) => {
    const condition = isRecord(profile) && isRecord(profile.activation) ? profile.activation.env : undefined;
    return typeof condition === 'string' && activationMatches(condition, env);
  });
}

/** Where each part of the merged configuration came from, for pointing issues at the right lines. */
export type Provenance = Map<string, FieldPath>;

const key = (path: FieldPath): string => JSON.stringify(path);

export interface MergeResult {
  merged: Record<string, unknown>;
  /** Merged path → path in the file of the profile value that set it (absent: the base's own path). */
  provenance: Provenance;
}

/** Lays `overlay` (the profile at `overlayPath` in the file, without name/activation) over `base`. */
export function applyProfile(base: Record<string, unknown>, overlay: Record<string, unknown>, overlayPath: FieldPath): MergeResult {
  const provenance: Provenance = new Map();
  const merged = mergeValue(base, overlay, [], overlayPath, provenance) as Record<string, unknown>;
  return { merged, provenance };
}

function mergeValue(base: unknown, overlay: unknown, path: FieldPath, from: FieldPath, provenance: Provenance): unknown {
  if (overlay === undefined) return base;
  if (path.length > 0) provenance.set(key(path), from);
  if (path.length === 1 && path[0] === 'services' && Array.isArray(base) && Array.isArray(overlay)) {
    return mergeServices(base, overlay, from, provenance);
  }
  if (isRecord(base) && isRecord(overlay) && path[path.length - 1] !== 'model') {
    const result: Record<string, unknown> = { ...base };
    for (const [name, value] of Object.entries(overlay)) {
      result[name] = mergeValue(base[name], value, [...path, name], [...from, name], provenance);
    }
    return result;
  }
  return overlay;
}

function mergeServices(base: unknown[], overlay: unknown[], from: FieldPath, provenance: Provenance): unknown[] {
  const result = [...base];
  // Base services keep their index; this stops a profile's list, indexed differently, from shadowing them.
  base.forEach((_, index) => provenance.set(key(['services', index]), ['services', index]));
  overlay.forEach((service, index) => {
    const name = isRecord(service) ? service.name : undefined;
    const at = typeof name === 'string' ? result.findIndex((existing) => isRecord(existing) && existing.name === name) : -1;
    const target = at === -1 ? result.length : at;
    result[target] = mergeValue(result[target], service, ['services', target], [...from, index], provenance);
  });
  return result;
}

/**
 * The candidate places in the file for a merged path: the profile's value (by the longest recorded prefix),
 * then the base's own path.
 */
export function sourcesOf(path: FieldPath, provenance: Provenance): FieldPath[] {
  for (let length = path.length; length >= 0; length -= 1) {
    const from = provenance.get(key(path.slice(0, length)));
    if (from !== undefined) return [[...from, ...path.slice(length)], path];
  }
  return [path];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
