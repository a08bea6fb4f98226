/**
 * What a command leaves for the workflow once it is done: the step summary (GITHUB_STEP_SUMMARY) and, for a deploy,
 * the step outputs (GITHUB_OUTPUT). Written whether the command succeeded or failed: a failed deploy's summary says
 * which stage failed, with the fix.
 */
import type { ProjectConfig } from '../config/load.js';
import type { CommandContext } from '../context.js';
import type { CheckRecord } from '../debug/check.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import type { PipelineProgress } from '../pipeline/runner.js';
import type { StatusReport } from '../status/service-status.js';
import type { GithubActions } from './core.js';
import { collectDeployReport, type DeployReport } from './deploy-report.js';
import { deployOutputs } from './outputs.js';
import { debugSummary, deploySummary, statusSummary } from './step-summary.js';

export async function reportDeploy(
  actions: GithubActions,
  deploy: { project: ProjectConfig; plan: PipelinePlan; progress: PipelineProgress; run: CommandContext },
  error: unknown,
): Promise<DeployReport> {
  const report = await collectDeployReport(deploy.project, deploy.plan, deploy.progress, deploy.run, error);
  actions.appendSummary((summary) => deploySummary(summary, report));
  for (const [name, value] of deployOutputs(report)) actions.setOutput(name, value);
  return report;
}

export function reportStatus(actions: GithubActions, report: StatusReport): void {
  actions.appendSummary((summary) => statusSummary(summary, report));
}

export function reportDebug(actions: GithubActions, topic: string, records: readonly CheckRecord[]): void {
  actions.appendSummary((summary) => debugSummary(summary, topic, records));
}
