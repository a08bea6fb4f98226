/**
 * Who holds a project's lock, as both kinds of lock record it (the lock file's JSON, the Lease's annotations), and
 * how mlp says so. Pure apart from reading this process's identity in {@link currentHolder}.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { MlpError } from '../errors.js';

export const LOCKED_OPERATIONS = ['deploy', 'rollback', 'scale'] as const;
export type HeldOperation = (typeof LOCKED_OPERATIONS)[number];

export interface LockHolder {
  /** Unique per acquisition: what renew and release check, so a process never frees a lock someone else took. */
  id: string;
  operation: HeldOperation | 'unknown';
  user: string;
  host: string;
  pid: number;
  /** The command line as typed: `mlp deploy --target local`. */
  command: string;
  /** When the lock was taken (ISO 8601). */
  since: string;
}

/** This process as the holder of a lock for `operation`. */
export function currentHolder(operation: HeldOperation, env: Record<string, string | undefined>, now = new Date()): LockHolder {
  const host = os.hostname();
  const user = env.USER ?? env.USERNAME ?? userName();
  return {
    id: `${user}@${host}-${process.pid}-${randomBytes(4).toString('hex')}`,
    operation,
    user,
    host,
    pid: process.pid,
    command: commandLine(operation, process.argv),
    since: now.toISOString(),
  };
}

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `mlp <args>` when this process is the CLI (bin/mlp, dist/cli.cjs); `mlp <operation>` when mlp runs inside another program. */
export function commandLine(operation: string, argv: readonly string[]): string {
  const entry = path.basename(argv[1] ?? '');
  return entry === 'mlp' || entry === 'cli.cjs' ? ['mlp', ...argv.slice(2)].join(' ') : `mlp ${operation}`;
}

/** A holder read back from a lock file or a Lease; anything missing or mistyped becomes "unknown" rather than a failure. */
export function parseHolder(value: unknown): LockHolder | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const text = (key: string): string => (typeof record[key] === 'string' && record[key] !== '' ? (record[key] as string) : 'unknown');
  const pid = typeof record.pid === 'number' ? record.pid : Number(record.pid);
  const operation = text('operation');
  return {
    id: text('id'),
    operation: (LOCKED_OPERATIONS as readonly string[]).includes(operation) ? (operation as HeldOperation) : 'unknown',
    user: text('user'),
    host: text('host'),
    pid: Number.isInteger(pid) && pid > 0 ? pid : 0,
    command: text('command'),
    since: text('since'),
  };
}

/** "12 s", "4 min", "3 h", "2 d". */
export function formatAge(milliseconds: number): string {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** "`mlp deploy --target local` (alice on build-3, pid 4242) since 2026-12-03T07:21:52.000Z (12 s ago)". */
export function describeHolder(holder: LockHolder, now = new Date()): string {
  const since = Date.parse(holder.since);
  const age = Number.isNaN(since) ? '' : ` (${formatAge(now.getTime() - since)} ago)`;
  const pid = holder.pid > 0 ? `, pid ${holder.pid}` : '';
  return `\`${holder.command}\` (${holder.user} on ${holder.host}${pid}) since ${holder.since}${age}`;
}

/** The error a second deploy, rollback or scale of the project exits with (7). */
export function lockedError(project: string, holder: LockHolder, where: string, now = new Date()): MlpError {
  const what = holder.operation === 'unknown' ? 'operation' : holder.operation;
  return new MlpError('locked', `Another ${what} of ${project} is running: ${describeHolder(holder, now)}.`, {
    details: [`lock: ${where}`],
    hint: 'wait for it, or run with --wait',
  });
}
