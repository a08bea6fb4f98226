/**
 * The deploy stage's interface: one deployer per target, side by side (eks.ts applies manifests to a cluster,
 * local.ts runs containers on this machine's engine). Both decide "unchanged" from the same release identity
 * (release-identity.ts) and both roll a release that never becomes ready back to the one it replaced.
 */
import type { CommandContext } from '../context.js';
import type { RenderedForCluster } from '../render/stage.js';
import type { DeployResult } from './deploy-result.js';

export interface Deployer {
  /** `rendered`: the render stage's objects (eks); undefined when that stage was skipped or the target renders nothing. */
  deploy(context: CommandContext, rendered: RenderedForCluster | undefined): Promise<DeployResult>;
}

export async function deployerFor(target: 'local' | 'eks'): Promise<Deployer> {
  return target === 'local' ? (await import('./local.js')).localDeployer : (await import('./eks.js')).eksDeployer;
}
