/**
 * Runs the built CLI (bin/mlp) as its own process, as a user or a CI job runs it: for tests whose code under test
 * reads process.env (the AWS SDK's credential chain) or that must see exit codes of a real process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MLP_BIN = fileURLToPath(new URL('../../bin/mlp', import.meta.url));

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function spawnMlp(args: readonly string[], options: { cwd: string; env: Record<string, string> }): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MLP_BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
