/**
 * The logs of several pods (or containers) as one: read with the node's timestamps, interleaved by them, and
 * shown without them, as if one process had written every line.
 */

export interface TimedLine<Source> {
  source: Source;
  /** The line without its timestamp. */
  line: string;
  /** Sorts as the time does: the UTC timestamp with nine fractional digits. */
  key: string;
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/**
 * Splits `2026-12-03T07:21:48.123456789Z message` (kubectl logs --timestamps, docker logs --timestamps) into a sort
 * key and the message. The kubelet trims trailing zeros of the fraction, so the text alone does not sort.
 */
export function splitTimestamp(text: string): { key: string; line: string } {
  const space = text.indexOf(' ');
  const stamp = space === -1 ? text : text.slice(0, space);
  const line = space === -1 ? '' : text.slice(space + 1);
  const match = RFC3339.exec(stamp);
  if (!match) return { key: '', line: text };
  const [, seconds, fraction = '', zone] = match as unknown as [string, string, string | undefined, string];
  if (zone === 'Z') return { key: `${seconds}.${fraction.padEnd(9, '0')}`, line };
  // An offset (no engine writes one, but the format allows it): to UTC, at millisecond precision.
  const utc = new Date(`${seconds}${zone}`).toISOString().slice(0, 19);
  return { key: `${utc}.${fraction.padEnd(9, '0')}`, line };
}

/**
 * Every source's timestamped lines in time order; lines with the same time keep the order they were read in.
 */
export function mergeByTime<Source>(logs: ReadonlyArray<{ source: Source; lines: readonly string[] }>): TimedLine<Source>[] {
  const timed = logs.flatMap(({ source, lines }) => {
    let last = '';
    return lines.map((text) => {
      const { key, line } = splitTimestamp(text);
      // A line without a timestamp (none should come) stays after the one before it.
      last = key === '' ? last : key;
      return { source, line, key: last };
    });
  });
  return timed
    .map((entry, order) => ({ entry, order }))
    .sort((a, b) => (a.entry.key < b.entry.key ? -1 : a.entry.key > b.entry.key ? 1 : a.order - b.order))
    .map(({ entry }) => entry);
}
