/**
 * How one log line is shown: prefixed with where it came from, the serving app's pino JSON records as readable
 * lines for a person (time, level, message and the fields that matter), and with --json as one JSON object per
 * line that carries the record unchanged.
 */

/** Where a line came from: a pod's container on a cluster, or a container on the local engine. */
export interface LogSource {
  /** The service it belongs to; absent for a training Job's pod. */
  service?: string;
  /** The training Job, for its pod's log. */
  job?: string;
  /** The pod's name (on the local target, the container's name). */
  pod: string;
  /** The container in the pod (on the local target, the container's short id). */
  container: string;
  /** Show `pod/container` rather than `pod` (the pod runs more than one container). */
  showContainer?: boolean;
}

/** A pino record: what the serving app (serving/src/logger.ts) writes, one JSON object per line. */
export interface PinoRecord {
  level: number;
  time?: string | number;
  msg?: string;
  [field: string]: unknown;
}

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every serving record has, or that the readable line shows in their own place. */
const QUIET_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** The line as a JSON object, or undefined when it is not one (plain text, a Python traceback, …). */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The line as a pino record (a JSON object with a numeric level), or undefined. */
export function parsePinoRecord(line: string): PinoRecord | undefined {
  const object = parseJsonObject(line);
  return object !== undefined && typeof object.level === 'number' ? (object as PinoRecord) : undefined;
}

/** Paints text for a terminal: identity when there is no colour. */
export interface Painter {
  /** The colour of the n-th source (stable per source within a run). */
  source(text: string, index: number): string;
  level(text: string, level: number): string;
  dim(text: string): string;
}

export const NO_PAINT: Painter = { source: (text) => text, level: (text) => text, dim: (text) => text };

/** `07:21:48.123 INFO  request method=POST route=/predict status=200 duration_ms=1.2` */
export function readableRecord(record: PinoRecord, paint: Painter = NO_PAINT): string {
  const level = LEVELS[record.level] ?? `L${record.level}`;
  const fields = Object.entries(record)
    // A request's path is worth showing only when it says more than its route (/v2/models/fraud/infer under :name).
    .filter(([key, value]) => !QUIET_FIELDS.has(key) && value !== undefined && !(key === 'path' && value === record.route))
    .map(([key, value]) => `${paint.dim(`${key}=`)}${fieldValue(value)}`);
  return [paint.dim(timeOfDay(record.time)), paint.level(level.padEnd(5), record.level), record.msg ?? '', ...fields]
    .filter((part) => part !== '')
    .join(' ');
}

/** The time of day of an ISO timestamp (pino.stdTimeFunctions.isoTime) or of epoch milliseconds (pino's default). */
function timeOfDay(time: string | number | undefined): string {
  if (time === undefined) return '';
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString().slice(11, 23);
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  // An error is its message (and its type), not the whole serialised object with a stack.
  if (value !== null && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    const { message, type } = value as { message: string; type?: unknown };
    return JSON.stringify(typeof type === 'string' && type !== 'Error' ? `${type}: ${message}` : message);
  }
  return JSON.stringify(value);
}

/** The prefix that names the line's source: `fraud-6f7c9d-x2k4p`, or `pod/container` for a pod of several. */
export function sourceLabel(source: LogSource): string {
  return source.showContainer ? `${source.pod}/${source.container}` : source.pod;
}

/** One line for a person: the source's label, padded to `width` and painted, then the readable line. */
export function humanLine(
  source: LogSource,
  line: string,
  options: { readable: boolean; width: number; index: number; paint: Painter },
): string {
  const label = options.paint.source(sourceLabel(source).padEnd(options.width), options.index);
  const record = options.readable ? parsePinoRecord(line) : undefined;
  return `${label} ${options.paint.dim('|')} ${record ? readableRecord(record, options.paint) : line}`;
}

/** One line with --json: where it came from and either the record as the app wrote it or the plain line. */
export function jsonLine(source: LogSource, line: string): string {
  const record = parseJsonObject(line);
  const where = {
    ...(source.service === undefined ? {} : { service: source.service }),
    ...(source.job === undefined ? {} : { job: source.job }),
    pod: source.pod,
    container: source.container,
  };
  return JSON.stringify(record === undefined ? { ...where, line } : { ...where, record });
}
