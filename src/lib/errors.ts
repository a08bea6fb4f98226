/**
 * mlp's error model: every expected failure is an {@link MlpError} carrying an exit code from
 * {@link EXIT_CODES} and a hint that says what to do next. Only the entry point (src/cli.ts)
 * turns an error into `process.exitCode`; library code throws.
 */

/**
 * One exit code per failure class. The README's exit-code table is checked against this object
 * by test/readme.test.ts, so the two cannot drift apart.
 */
export const EXIT_CODES = {
  ok: { code: 0, meaning: 'Success.' },
  internal: { code: 1, meaning: 'Internal error: a bug in mlp. Re-run with --verbose and report the stack trace.' },
  usage: { code: 2, meaning: 'Usage error: unknown command or flag, missing or invalid argument.' },
  config: { code: 3, meaning: 'Configuration error: mlp.yaml is missing, unreadable or invalid, or the profile is unknown.' },
  notImplemented: { code: 4, meaning: 'The command or stage exists in the CLI but is not built yet; nothing was changed.' },
  credentials: { code: 5, meaning: 'AWS credentials are missing, expired or lack a permission.' },
  prerequisite: { code: 6, meaning: 'A required tool or service is missing or not answering (Docker engine, Python, registry, cluster).' },
  locked: {
    code: 7,
    meaning:
      'Another deploy, rollback or scale of this project holds its lock (the message names who, where and since when); wait with --wait.',
  },
  training: {
    code: 10,
    meaning: 'The training command failed (here or in its Job), ran out of time, or its outputs did not validate; nothing was registered.',
  },
  build: { code: 20, meaning: 'An image build failed.' },
  push: { code: 21, meaning: 'An image push failed; nothing was recorded as pushed.' },
  render: { code: 30, meaning: 'Manifests could not be rendered from templates/k8s.' },
  apply: { code: 31, meaning: 'The Kubernetes API rejected an apply.' },
  rollout: { code: 32, meaning: 'A rollout did not become available before its deadline (or its new container never became ready).' },
  rolloutImagePull: {
    code: 33,
    meaning: 'A rollout or training Job failed: the nodes cannot pull the image (ImagePullBackOff, ErrImagePull).',
  },
  rolloutCrashLoop: { code: 34, meaning: "A rollout failed: the new pods' containers keep crashing (CrashLoopBackOff)." },
  rolloutUnschedulable: { code: 35, meaning: 'A rollout or training Job failed: the new pods cannot be scheduled (FailedScheduling).' },
  rolloutQuota: { code: 36, meaning: "A rollout or training Job failed: the namespace's ResourceQuota refuses the new pods." },
  rolloutExecFormat: {
    code: 37,
    meaning: "A rollout or training Job failed: the image is built for another CPU architecture than the nodes' (exec format error).",
  },
  rolloutOOMKilled: {
    code: 38,
    meaning: 'A rollout or training Job failed: the container was killed for using more memory than its limit (OOMKilled).',
  },
  rolloutContainerConfig: {
    code: 39,
    meaning:
      'A rollout or training Job failed: the container cannot be created from its spec, e.g. a Secret it references is missing (CreateContainerConfigError).',
  },
  smokeTest: { code: 40, meaning: 'The smoke test against the deployed service failed.' },
  degraded: {
    code: 41,
    meaning:
      'mlp status: a service is degraded (fewer replicas available than desired, a rollout stalled or failed, a container not running).',
  },
  scaledToZero: { code: 42, meaning: 'mlp status: the nodegroup is at zero nodes, so no service can run (mlp scale up).' },
  checkFailed: { code: 43, meaning: 'mlp debug: a check failed; each check says what it saw and the fix.' },
  aws: { code: 50, meaning: 'An AWS API call failed for a reason other than credentials.' },
  serve: { code: 60, meaning: 'The local serving app (mlp serve) failed to start or stopped with an error.' },
  nodegroupNotFound: { code: 70, meaning: 'mlp scale: the nodegroup does not exist in the cluster (the message lists those that do).' },
  nodegroupBusy: {
    code: 71,
    meaning: 'mlp scale: an update of the nodegroup is already in progress (ResourceInUseException) and did not finish in time.',
  },
  drainBlocked: {
    code: 72,
    meaning: 'mlp scale down: a PodDisruptionBudget kept refusing an eviction; the nodes stay cordoned and a re-run continues.',
  },
  nodegroupUpdateFailed: {
    code: 73,
    meaning: 'mlp scale: EKS reported the nodegroup update as Failed or Cancelled (its errors are printed).',
  },
  interrupted: { code: 130, meaning: 'Interrupted (SIGINT).' },
} as const;

export type ExitCodeName = keyof typeof EXIT_CODES;
export type ExitCode = (typeof EXIT_CODES)[ExitCodeName]['code'];

export interface MlpErrorOptions {
  /** What the user should do next, printed under the message. */
  hint?: string;
  /** Extra lines (e.g. one per config problem) printed between message and hint. */
  details?: readonly string[];
  cause?: unknown;
  /**
   * What the command found before it failed (mlp status's report): with --json it is part of the one failure
   * document, so a machine reads the report and the verdict together.
   */
  document?: Readonly<Record<string, unknown>>;
}

/** An expected failure: printed without a stack trace unless --verbose. */
export class MlpError extends Error {
  readonly kind: ExitCodeName;
  readonly hint: string | undefined;
  readonly details: readonly string[];
  readonly document: Readonly<Record<string, unknown>> | undefined;

  constructor(kind: ExitCodeName, message: string, options: MlpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlpError';
    this.kind = kind;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.document = options.document;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind].code;
  }
}

export class UsageError extends MlpError {
  constructor(message: string, options?: MlpErrorOptions) {
    super('usage', message, options);
    this.name = 'UsageError';
  }
}

/** One problem found in mlp.yaml, located by file:line:column and the field path. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Field path as users write it: `services[0].autoscaling.max`. Empty for the document root. */
  path: string;
  message: string;
  hint?: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const field = issue.path === '' ? '' : `${issue.path} `;
  return `${where}: ${field}${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`;
}

/** Every problem found in the configuration at once, so users fix them in one pass. */
export class ConfigError extends MlpError {
  readonly issues: readonly ConfigIssue[];

  constructor(message: string, issues: readonly ConfigIssue[], options: Omit<MlpErrorOptions, 'details'> = {}) {
    super('config', message, { ...options, details: issues.map(formatConfigIssue) });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export class NotImplementedError extends MlpError {
  constructor(what: string, issue?: string) {
    super('notImplemented', `${what} is not built yet; nothing was changed.`, {
      hint: issue ? `It is planned in ${issue}. Until then, see README.md for what works today.` : 'See README.md for what works today.',
    });
    this.name = 'NotImplementedError';
  }
}

export function isMlpError(error: unknown): error is MlpError {
  return error instanceof MlpError;
}
