/** Human-readable summaries of `mlp build` and `mlp push` (the --json output is the results themselves). */
import type { ImageBuildResult } from './builder.js';
import type { ImagePushResult } from './pusher.js';

export function formatBuildResults(results: readonly ImageBuildResult[]): string {
  return results
    .map(
      (r) =>
        `${r.service}: ${r.action} ${r.image} (${r.platform}) — ${r.reasons.join(', ')}${r.action === 'built' ? ` in ${r.seconds.toFixed(1)} s` : ''}`,
    )
    .join('\n');
}

export function formatPushResults(results: readonly ImagePushResult[]): string {
  return results.map((r) => `${r.service}: ${r.action} ${r.reference}${r.action === 'skipped' ? ` — ${r.reason}` : ''}`).join('\n');
}
