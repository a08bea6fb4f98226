/** The human form of `mlp debug` records: one line per check, its evidence and fix indented under it. */
import type { CheckRecord } from './check.js';

const MARK: Record<CheckRecord['status'], string> = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' };

export function formatChecks(records: readonly CheckRecord[], paint: { red(text: string): string; green(text: string): string }): string {
  const lines: string[] = [];
  for (const record of records) {
    const mark = record.status === 'fail' ? paint.red(MARK.fail) : record.status === 'pass' ? paint.green(MARK.pass) : MARK.skip;
    lines.push(`${mark} ${record.subject ? `${record.subject}: ` : ''}${record.saw}`);
    for (const detail of record.details ?? []) lines.push(`       ${detail}`);
    if (record.status === 'fail' && record.fix) lines.push(`       fix: ${record.fix}`);
  }
  const failed = records.filter((record) => record.status === 'fail').length;
  lines.push('', failed === 0 ? `all ${records.length} checks passed` : `${failed} of ${records.length} checks failed`);
  return lines.join('\n');
}
