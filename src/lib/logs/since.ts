/** `--since 10m`: a duration as kubectl and docker write it (90s, 10m, 1h30m, 2h), in whole seconds. */
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** The duration in seconds, or undefined when `text` is not one (or is zero). */
export function parseSince(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  const total = Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
  return total > 0 ? total : undefined;
}
