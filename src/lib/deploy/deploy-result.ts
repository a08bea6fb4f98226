/** What the deploy stage hands on, per target. */
import type { AppliedObject } from '../kube/apply.js';

export interface EksDeployResult {
  cluster: string;
  namespace: string;
  applied: AppliedObject[];
  rolledOut: string[];
}

export interface LocalDeployResult {
  service: string;
  container: string;
  image: string;
  url: string;
  action: 'started' | 'unchanged';
}

export type DeployResult = ({ target: 'eks' } & EksDeployResult) | { target: 'local'; services: LocalDeployResult[] };
