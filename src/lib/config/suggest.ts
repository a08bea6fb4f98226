/** "Did you mean …?" for misspelt keys, enum values and profile names. */
import { distance as editDistance } from 'fastest-levenshtein';

/** The closest candidate, if it is close enough to be a likely typo (case is ignored). */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const wanted = input.toLowerCase();
  const names = [...candidates];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  if (best !== undefined && bestDistance <= allowed) return best;
  // A shortened name (`timeout` for `timeoutSeconds`).
  if (wanted.length >= 4) {
    const extended = names.filter((candidate) => candidate.toLowerCase().startsWith(wanted));
    if (extended.length === 1) return extended[0];
  }
  return undefined;
}

/** `; did you mean "x"?`, or nothing. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const match = closest(input, candidates);
  return match === undefined ? '' : `; did you mean "${match}"?`;
}
