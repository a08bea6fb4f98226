/**
 * The human text of `mlp train` and `mlp train --list`. The --json documents are the values themselves.
 */
import type { ChalkInstance } from 'chalk';
import type { ModelMetrics, ModelVersion } from './registry.js';
import type { TrainResult } from '../train/train-result.js';

const METRICS = ['accuracy', 'precision', 'recall', 'roc_auc'] as const;

export function formatTrainResult(result: TrainResult, color: ChalkInstance): string {
  const lines = [
    `${color.green('Registered')} ${result.model} version ${color.bold(result.version)} (latest)`,
    `  directory  ${result.dir}`,
    `  model      ${result.metadata.model_type}, ${result.metadata.feature_names.length} features, classes ${JSON.stringify(result.metadata.classes)}`,
  ];
  if (result.metrics !== undefined) {
    lines.push(`  metrics    ${METRICS.map((name) => `${name} ${formatMetric(result.metrics?.[name])}`).join('  ')}`);
  }
  const timings = [`training ${result.trainingSeconds.toFixed(1)} s`];
  if (result.venv !== undefined)
    timings.unshift(result.venv.created ? `virtualenv created in ${result.venv.seconds.toFixed(1)} s` : 'virtualenv reused');
  lines.push(`  took       ${timings.join(', ')}`);
  if (result.remote !== undefined) {
    lines.push(
      `  trained in Job ${result.remote.job} (namespace ${result.remote.namespace}, ${result.remote.cluster})`,
      `  artifacts  ${result.remote.artifacts}`,
    );
  }
  return lines.join('\n');
}

export function formatVersionList(model: string, versions: readonly ModelVersion[], color: ChalkInstance): string {
  if (versions.length === 0) return `No versions of ${model} are registered yet; run "mlp train" to train one.`;
  const header = ['VERSION', 'LATEST', ...METRICS.map((name) => name.toUpperCase())];
  const rows = versions.map((entry) => [
    entry.version,
    entry.latest ? 'latest' : '',
    ...METRICS.map((name) => formatMetric(metric(entry.metrics, name))),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [color.bold(render(header)), ...rows.map(render)].join('\n');
}

function metric(metrics: ModelMetrics | undefined, name: string): unknown {
  return metrics?.[name];
}

function formatMetric(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(4) : '-';
}
