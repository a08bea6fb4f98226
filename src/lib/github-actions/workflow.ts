/**
 * What a GitHub Actions run adds to mlp's output: the @actions/core seam, the failure's annotations, and for a
 * configuration error the step summary too.
 */
import { ConfigError } from '../errors.js';
import { annotateFailure, workspacePath } from './annotations.js';
import { GithubActions, type WorkflowIo } from './core.js';
import { maskEnvironment } from './masking.js';
import { configErrorSummary } from './config-summary.js';

export interface GithubActionsRun {
  readonly core: GithubActions;
  /** The failure as error annotations: mlp.yaml's line and column for a config problem, the cause and fix otherwise. */
  annotateFailure(error: unknown): void;
}

export function openWorkflow(io: WorkflowIo & { cwd: string }): GithubActionsRun {
  const actions = new GithubActions(io);
  // Before anything is printed: a credential in the environment stays *** in the log whatever prints it.
  maskEnvironment(actions, io.env);
  return {
    core: actions,
    annotateFailure: (error) => {
      annotateFailure(actions, error, io.env, io.cwd);
      // A deploy that ran writes its own summary; one that stopped at mlp.yaml has only this to show.
      if (error instanceof ConfigError && error.issues.length > 0) {
        const issues = error.issues.map((issue) => ({ ...issue, place: workspacePath(issue.file, io.env, io.cwd) }));
        actions.appendSummary((summary) => configErrorSummary(summary, error.message, issues));
      }
    },
  };
}
