/**
 * What every `mlp debug` topic produces: one record per check of the runbook, each saying pass or fail, what it saw
 * and, when it fails, the fix (a command to run or a line of mlp.yaml to change). The handler prints them and exits
 * 43 (checkFailed) when one failed; --json prints them as they are.
 */
import type { CommandContext } from '../context.js';

export interface CheckRecord {
  /** Stable id for scripts, e.g. "sagemaker.endpoint-in-service" or "pods.container-state". */
  check: string;
  /** The service (or other object) it is about, when it is about one. */
  subject?: string | undefined;
  status: 'pass' | 'fail' | 'skip';
  /** What it saw, in one line: "endpoint fraud-prod is InService (1 instance of ml.m5.large)". */
  saw: string;
  /** When it failed: what to do, as a command or an mlp.yaml change. */
  fix?: string | undefined;
  /** Extra evidence lines (events, log lines), never secret values. */
  details?: string[] | undefined;
}

export interface DebugRequest {
  /** Services named on the command line; empty: every service the topic applies to. */
  services: readonly string[];
}

/** One topic: runs its checks against what the resolved config names, in the order a person would. */
export type DebugTopic = (context: CommandContext, request: DebugRequest) => Promise<CheckRecord[]>;
