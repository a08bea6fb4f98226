/**
 * The step summary of a command that stopped at mlp.yaml (a deploy that ran writes its own, step-summary.ts). It
 * imports nothing of the pipeline: output.ts loads it through workflow.ts.
 */
import type { summary as coreSummary } from '@actions/core';
import type { ConfigIssue } from '../errors.js';

type Summary = typeof coreSummary;

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const code = (text: string): string => `<code>${escape(text)}</code>`;

/** A command that stopped at mlp.yaml: every problem with its place, as the annotations show them on the file. */
export function configErrorSummary(summary: Summary, message: string, issues: ReadonlyArray<ConfigIssue & { place: string }>): void {
  summary.addHeading(`mlp: ❌ ${escape(message)}`, 2);
  summary.addTable([
    [
      { data: 'Where', header: true },
      { data: 'Field', header: true },
      { data: 'Problem', header: true },
    ],
    ...issues.map((issue) => [
      code(`${issue.place}:${issue.line}:${issue.column}`),
      issue.path === '' ? '—' : code(issue.path),
      escape(issue.hint ? `${issue.message} (${issue.hint})` : issue.message),
    ]),
  ]);
}
