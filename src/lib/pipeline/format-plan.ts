import type { ChalkInstance } from 'chalk';
import type { ProjectConfig } from '../config/load.js';
import type { PipelinePlan } from './plan.js';

/** The human form of `mlp deploy --dry-run`. */
export function formatPlan(project: ProjectConfig, plan: PipelinePlan, color: ChalkInstance): string {
  const profile = project.profile === null ? '' : ` (profile ${project.profile})`;
  const lines = [`Plan for ${project.config.name}${profile}, target ${plan.target} — dry run, nothing changed:`];
  const width = Math.max(...plan.stages.map((stage) => stage.name.length));
  for (const stage of plan.stages) {
    const verb = stage.action === 'run' ? color.green('run ') : color.dim('skip');
    lines.push(`  ${stage.name.padEnd(width)}  ${verb}  ${stage.reason}`);
  }
  return lines.join('\n');
}
