/**
 * The project's git revision, for image tags and OCI labels. Outside a git work tree everything is undefined.
 * A remote URL can carry a token (https://user:token@host/…): it is stripped before the URL goes into a label.
 */
import { captureOutput } from './exec.js';

export interface GitRevision {
  sha?: string;
  /** True when tracked files have uncommitted changes. */
  dirty: boolean;
  sourceUrl?: string;
}

export async function gitRevision(dir: string, env: Record<string, string | undefined>, signal?: AbortSignal): Promise<GitRevision> {
  const options = { cwd: dir, baseEnv: env, ...(signal ? { signal } : {}) };
  const sha = await captureOutput('git', ['rev-parse', '--verify', 'HEAD'], options);
  if (!sha) return { dirty: false };
  const status = await captureOutput('git', ['status', '--porcelain', '--untracked-files=no'], options);
  const remote = await captureOutput('git', ['config', '--get', 'remote.origin.url'], options);
  const fromActions = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : undefined;
  const sourceUrl = fromActions ?? (remote ? withoutCredentials(remote) : undefined);
  return { sha, dirty: Boolean(status), ...(sourceUrl ? { sourceUrl } : {}) };
}

export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}
