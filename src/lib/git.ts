/**
 * The project's git revision, for image tags and OCI labels. Outside a git work tree everything is undefined.
 * A remote URL can carry a token (https://user:token@host/…): it is stripped before the URL goes into a label.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { captureOutput } from './exec.js';

export interface GitRevision {
  sha?: string;
  /** True when tracked files have uncommitted changes. */
  dirty: boolean;
  sourceUrl?: string;
}

export async function gitRevision(dir: string, env: Record<string, string | undefined>, signal?: AbortSignal): Promise<GitRevision> {
  if (!(await mayBeInWorkTree(dir, env))) return { dirty: false };
  const options = { cwd: dir, baseEnv: env, ...(signal ? { signal } : {}) };
  const sha = await captureOutput('git', ['rev-parse', '--verify', 'HEAD'], options);
  if (!sha) return { dirty: false };
  const [status, remote] = await Promise.all([
    captureOutput('git', ['status', '--porcelain', '--untracked-files=no'], options),
    captureOutput('git', ['config', '--get', 'remote.origin.url'], options),
  ]);
  const fromActions = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : undefined;
  const sourceUrl = fromActions ?? (remote ? withoutCredentials(remote) : undefined);
  return { sha, dirty: Boolean(status), ...(sourceUrl ? { sourceUrl } : {}) };
}

/**
 * False when no .git is above `dir` (and GIT_DIR does not name one): git would find no repository either, and a
 * no-op build then does not pay for starting it.
 */
async function mayBeInWorkTree(dir: string, env: Record<string, string | undefined>): Promise<boolean> {
  if (env.GIT_DIR !== undefined) return true;
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (await stat(path.join(at, '.git')).catch(() => undefined)) return true;
    if (path.dirname(at) === at) return false;
  }
}

export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}
