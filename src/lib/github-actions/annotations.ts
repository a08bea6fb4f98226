/**
 * A failure as GitHub Actions error annotations: a config problem points at mlp.yaml's line and column (the file
 * view and the pull request's diff show it there); any other failure carries its cause and the fix, so the run's
 * page says what to do without opening the log.
 */
import path from 'node:path';
import { EXIT_CODES, isMlpError, type ConfigIssue, type ExitCodeName, ConfigError } from '../errors.js';
import type { AnnotationPlace, GithubActions } from './core.js';

/** Annotation files are relative to the repository's checkout (GITHUB_WORKSPACE), as the runner matches them. */
export function workspacePath(file: string, env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const root = env.GITHUB_WORKSPACE ?? cwd;
  const relative = path.relative(root, path.resolve(cwd, file));
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

export interface Annotation {
  message: string;
  place: AnnotationPlace;
}

/** The annotations a failure is shown as, one per config problem or one for any other failure. */
export function failureAnnotations(error: unknown, env: Readonly<Record<string, string | undefined>>, cwd: string): Annotation[] {
  if (error instanceof ConfigError && error.issues.length > 0) return error.issues.map((issue) => configAnnotation(issue, env, cwd));
  const kind: ExitCodeName = isMlpError(error) ? error.kind : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  const lines = [message, ...(isMlpError(error) ? error.details : [])];
  const hint = isMlpError(error) ? error.hint : 'This is a bug in mlp; re-run with --verbose and report the output.';
  if (hint) lines.push(`Fix: ${hint}`);
  return [{ message: lines.join('\n'), place: { title: `mlp exit ${EXIT_CODES[kind].code}: ${titleOf(kind)}` } }];
}

function configAnnotation(issue: ConfigIssue, env: Readonly<Record<string, string | undefined>>, cwd: string): Annotation {
  const field = issue.path === '' ? '' : `${issue.path} `;
  const fix = issue.hint ? `\nFix: ${issue.hint}` : '';
  return {
    message: `${field}${issue.message}${fix}`,
    place: {
      title: `mlp exit ${EXIT_CODES.config.code}: invalid ${path.basename(issue.file)}`,
      file: workspacePath(issue.file, env, cwd),
      line: issue.line,
      column: issue.column,
    },
  };
}

/** The exit code's meaning as a title: "A rollout failed: the new pods' containers keep crashing (CrashLoopBackOff)". */
function titleOf(kind: ExitCodeName): string {
  return EXIT_CODES[kind].meaning.replace(/\.$/, '');
}

export function annotateFailure(
  actions: GithubActions,
  error: unknown,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): void {
  for (const annotation of failureAnnotations(error, env, cwd)) actions.error(annotation.message, annotation.place);
}
