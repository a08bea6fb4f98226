/** The test stage's interface: smoke requests against what the deploy stage released, on either target. */
import type { CommandContext } from '../context.js';
import type { SmokeTestResult } from './smoke-requests.js';

export interface Verifier {
  verify(context: CommandContext): Promise<SmokeTestResult[]>;
}

export async function verifierFor(target: 'local' | 'eks'): Promise<Verifier> {
  if (target === 'local') {
    const { smokeTestLocally } = await import('./local.js');
    return { verify: smokeTestLocally };
  }
  const { smokeTestOnCluster } = await import('./cluster.js');
  return { verify: smokeTestOnCluster };
}
