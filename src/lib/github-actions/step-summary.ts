/**
 * The step summaries (GITHUB_STEP_SUMMARY) a person reads instead of the log: what a deploy released per service,
 * what `mlp status` found, which `mlp debug` checks failed. Built with @actions/core's summary builder, whose
 * tables are HTML; every value is escaped here (the builder inserts cells as they are).
 */
import type { summary as coreSummary } from '@actions/core';
import type { CheckRecord } from '../debug/check.js';
import type { StatusReport } from '../status/service-status.js';
import type { DeployReport, ServiceReport } from './deploy-report.js';

type Summary = typeof coreSummary;
type Cell = string | { data: string; header: true };

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const code = (text: string): string => `<code>${escape(text)}</code>`;
const header = (...cells: string[]): Cell[] => cells.map((data) => ({ data, header: true }));
const seconds = (value: number | null): string => (value === null ? '—' : `${value.toFixed(1)} s`);
const dash = '—';

function metricsText(metrics: Readonly<Record<string, number>>): string {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return dash;
  return entries.map(([name, value]) => `${escape(name)} ${Number.isInteger(value) ? value : value.toFixed(3)}`).join(' · ');
}

/** The deploy's summary: a verdict, the stages with their times, a table per service, and the failure with its fix. */
export function deploySummary(summary: Summary, report: DeployReport): void {
  const failedStage = report.stages.find((stage) => stage.failed)?.name;
  const verdict = report.ok
    ? '✅ deployed'
    : `❌ failed${failedStage ? ` in the ${failedStage} stage` : ''} (exit ${report.failure!.exitCode}, ${report.failure!.kind})`;
  summary.addHeading(`mlp deploy ${escape(report.project)}: ${verdict}`, 2);
  const where = [
    report.target === 'eks' ? `target eks, namespace ${code(report.namespace ?? dash)}` : 'target local (the runner’s Docker engine)',
    report.profile ? `profile ${code(report.profile)}` : undefined,
    `rollout ${seconds(report.rolloutSeconds)}`,
  ].filter(Boolean);
  summary.addRaw(`<p>${where.join(' · ')}</p>`, true);
  summary.addTable([
    header('Stage', 'Result', 'Time'),
    ...report.stages.map((stage) => [
      stage.name,
      stage.failed
        ? '❌ failed'
        : stage.action === 'skip'
          ? `skipped: ${escape(stage.reason ?? '')}`
          : stage.seconds === null
            ? 'not reached'
            : '✅ done',
      seconds(stage.seconds),
    ]),
  ]);
  for (const service of report.services) serviceSection(summary, service, report.rolloutSeconds);
  if (report.failure) {
    const { failure } = report;
    summary.addHeading('What failed', 3);
    summary.addCodeBlock(escape([failure.message, ...failure.details].join('\n')));
    if (failure.hint) summary.addRaw(`<p><strong>Fix:</strong> ${escape(failure.hint)}</p>`, true);
  }
}

function serviceSection(summary: Summary, service: ServiceReport, rolloutSeconds: number | null): void {
  summary.addHeading(escape(service.service), 3);
  const replicas = service.replicas ? `${service.replicas.ready}/${service.replicas.desired}` : dash;
  // One row per fact: image references and digests are long, and a wide table would hide the last columns.
  const rows: Array<[string, string]> = [
    ['Image', service.image ? code(service.image) : dash],
    ['Digest', service.digest ? code(service.digest) : dash],
    ['Model version', service.modelVersion ? code(service.modelVersion) : dash],
    ['Metrics', metricsText(service.metrics)],
    ['Replicas ready', replicas],
    ['Rollout', seconds(rolloutSeconds)],
    ['Endpoint', service.url ? escape(service.url) : dash],
  ];
  if (service.rolledBackTo) rows.push(['Rolled back', `↩️ to ${escape(service.rolledBackTo)}`]);
  summary.addTable(rows.map(([name, value]) => [{ data: name, header: true }, value]));
  if (service.smoke.length > 0) {
    summary.addTable([
      header('Smoke test', 'Request', 'Status', 'Latency'),
      ...service.smoke.map((test) => [escape(test.name), code(test.request), `✅ ${test.status}`, `${test.ms} ms`]),
    ]);
  }
}

/** `mlp status`: one row per service, then the problems and the nodegroup. */
export function statusSummary(summary: Summary, report: StatusReport): void {
  const bad = report.services.filter((service) => !service.healthy).length;
  summary.addHeading(
    `mlp status: ${report.healthy ? '✅ healthy' : `❌ ${bad} of ${report.services.length} service${report.services.length === 1 ? '' : 's'} degraded`}`,
    2,
  );
  summary.addTable([
    header('Service', 'Health', 'Image', 'Model version', 'Replicas', 'Rollout', 'Endpoint'),
    ...report.services.map((service) => [
      escape(service.service),
      service.healthy ? '✅ healthy' : '❌ degraded',
      service.image ? code(service.image.reference) : dash,
      service.version ? code(service.version) : dash,
      service.replicas
        ? `${service.replicas.available}/${service.replicas.desired} available`
        : service.container
          ? escape(service.container.state)
          : dash,
      service.rollout
        ? escape(service.rollout.reason ? `${service.rollout.state} (${service.rollout.reason})` : service.rollout.state)
        : dash,
      service.endpoint?.url ? escape(service.endpoint.url) : dash,
    ]),
  ]);
  const problems = report.services.flatMap((service) =>
    service.problems.map((problem) => `${escape(service.service)}: ${escape(problem)}`),
  );
  if (report.nodegroup) {
    const { nodegroup } = report;
    const size = nodegroup.scaling
      ? ` · min ${nodegroup.scaling.min} / desired ${nodegroup.scaling.desired} / max ${nodegroup.scaling.max}`
      : '';
    summary.addRaw(
      `<p>Nodegroup ${code(nodegroup.name)}: ${escape(nodegroup.status)}${size} · ${nodegroup.nodes.ready}/${nodegroup.nodes.total} nodes Ready</p>`,
      true,
    );
    problems.push(...nodegroup.problems.map((problem) => `nodegroup ${escape(nodegroup.name)}: ${escape(problem)}`));
  }
  if (problems.length > 0) summary.addList(problems);
}

/** `mlp debug <topic>`: every check, failures first with their fix. */
export function debugSummary(summary: Summary, topic: string, records: readonly CheckRecord[]): void {
  const failed = records.filter((record) => record.status === 'fail');
  summary.addHeading(
    `mlp debug ${escape(topic)}: ${failed.length === 0 ? `✅ all ${records.length} checks passed` : `❌ ${failed.length} of ${records.length} checks failed`}`,
    2,
  );
  const mark = { pass: '✅ ok', fail: '❌ FAIL', skip: '➖ skip' } as const;
  const order = [...failed, ...records.filter((record) => record.status !== 'fail')];
  summary.addTable([
    header('Result', 'Subject', 'Check', 'What it saw', 'Fix'),
    ...order.map((record) => [
      mark[record.status],
      record.subject ? escape(record.subject) : dash,
      code(record.check),
      escape(record.saw),
      record.fix ? escape(record.fix) : dash,
    ]),
  ]);
}
