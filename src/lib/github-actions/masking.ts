/**
 * Every secret mlp handles is masked before it could be printed: GitHub Actions then replaces it with *** wherever it
 * would appear in the job's log, whichever process prints it. Outside a workflow run these do nothing.
 */
import type { GithubActions } from './core.js';

/** Credentials mlp may read from its environment (aws-actions/configure-aws-credentials masks its own as well). */
const SECRET_ENV = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_BEARER_TOKEN_BEDROCK'] as const;

/** A variable whose name says it holds a credential: its value is masked, never the likes of PORT or LOG_LEVEL. */
const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY|API_KEY|ACCESS_KEY)/i;

export function maskSecret(actions: GithubActions | undefined, secret: string | undefined): void {
  if (actions && secret) actions.mask(secret);
}

/** The AWS credentials of the environment mlp runs with. */
export function maskEnvironment(actions: GithubActions, env: Readonly<Record<string, string | undefined>>): void {
  for (const name of SECRET_ENV) maskSecret(actions, env[name]);
}

/** Values of services[].env and training.env whose names say they are credentials. */
export function maskConfiguredEnv(
  actions: GithubActions | undefined,
  envs: ReadonlyArray<Readonly<Record<string, string>> | undefined>,
): void {
  if (!actions) return;
  for (const env of envs) for (const [name, value] of Object.entries(env ?? {})) if (SECRET_NAME.test(name)) maskSecret(actions, value);
}
