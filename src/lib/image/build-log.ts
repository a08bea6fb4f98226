/**
 * Reads BuildKit's `--progress=plain` output as it streams, so a failed build can say which Dockerfile step
 * failed and show that step's own output rather than the whole log.
 *   #6 [3/3] RUN ls /nonexistent          ← a step starts: "#<n> <name>"
 *   #6 0.327 ls: cannot access …          ← its output: "#<n> <seconds> <text>"
 *   #6 ERROR: executor failed running …   ← it failed
 */
const STEP_START = /^#(\d+) (\[.*)$/;
const STEP_OUTPUT = /^#(\d+) \d+\.\d+ (.*)$/;
const STEP_ERROR = /^#(\d+) ERROR: (.*)$/;
const FINAL_ERROR = /^ERROR: (.*)$/;

export interface BuildFailure {
  /** The failing step as BuildKit names it: `[dependencies 4/5] RUN npm ci …`. */
  step?: string;
  error?: string;
  /** The failing step's last lines of output. */
  log: string[];
}

export class BuildLog {
  private readonly names = new Map<string, string>();
  private readonly output = new Map<string, string[]>();
  private failed: { id: string; error: string } | undefined;
  private finalError: string | undefined;

  constructor(private readonly keepLines = 20) {}

  push(line: string): void {
    let match = STEP_START.exec(line);
    if (match) {
      this.names.set(match[1]!, match[2]!);
      return;
    }
    match = STEP_ERROR.exec(line);
    if (match) {
      this.failed ??= { id: match[1]!, error: match[2]! };
      return;
    }
    match = STEP_OUTPUT.exec(line);
    if (match) {
      const lines = this.output.get(match[1]!) ?? [];
      lines.push(match[2]!);
      if (lines.length > this.keepLines) lines.shift();
      this.output.set(match[1]!, lines);
      return;
    }
    match = FINAL_ERROR.exec(line);
    if (match) this.finalError = match[1]!;
  }

  failure(): BuildFailure {
    if (!this.failed) return { ...(this.finalError ? { error: this.finalError } : {}), log: [] };
    const step = this.names.get(this.failed.id);
    return { ...(step ? { step } : {}), error: this.failed.error, log: this.output.get(this.failed.id) ?? [] };
  }
}
