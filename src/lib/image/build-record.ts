/**
 * What mlp remembers about a service's image between runs, in `.mlp/builds/<service>.json`: the last build's
 * inputs (to say what changed), its tags and platform, and — only after a push succeeded — the pushed digest,
 * which is what deploy runs (`image@sha256:…`).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HashedFile } from './build-inputs.js';

export interface PushRecord {
  /** registry/repository, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud/fraud */
  repository: string;
  tags: string[];
  digest: string;
  /** What deploy uses: repository@digest. */
  reference: string;
  pushedAt: string;
}

export interface BuildRecord {
  service: string;
  /** The local image reference's repository (without tag), e.g. fraud/fraud. */
  repository: string;
  contentHash: string;
  /** The content tag first, then the git tag. */
  tags: string[];
  imageId: string;
  platform: string;
  modelVersion?: string;
  gitSha?: string;
  builtAt: string;
  files: HashedFile[];
  args: Record<string, string>;
  pushed?: PushRecord;
}

export function buildRecordFile(projectDir: string, service: string): string {
  return path.join(projectDir, '.mlp', 'builds', `${service}.json`);
}

export async function readBuildRecord(projectDir: string, service: string): Promise<BuildRecord | undefined> {
  try {
    return JSON.parse(await readFile(buildRecordFile(projectDir, service), 'utf8')) as BuildRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Written to a temporary file and renamed, so a reader never sees half a record. */
export async function writeBuildRecord(projectDir: string, record: BuildRecord): Promise<void> {
  const file = buildRecordFile(projectDir, record.service);
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, file);
}
