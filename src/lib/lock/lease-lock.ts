/**
 * The eks target's lock: a Lease in the project's namespace, taken with a create (the API server lets one create
 * win), an expired or released one taken over with a replace carrying the resourceVersion we read (so of two
 * racers one gets a 409), renewed every 10 s while the operation runs and deleted at its end.
 */
import type { V1Lease } from '@kubernetes/client-node';
import { MlpError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import type { Output } from '../output.js';
import type { Attempt, LockBackend } from './backend.js';
import { describeHolder, type LockHolder } from './holder.js';
import { leaseFor, leaseHolder, leaseName, leaseState, RENEW_EVERY_MS } from './lease-record.js';

const ATTEMPTS = 5;
const codeOf = (error: unknown): number | undefined => (error as { code?: number }).code;

export class LeaseLock implements LockBackend {
  readonly where: string;
  readonly pollMilliseconds = 2000;
  readonly #name: string;
  #stored: V1Lease | undefined;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();

  constructor(
    private readonly kube: KubeClient,
    private readonly namespace: string,
    private readonly project: string,
    private readonly holder: LockHolder,
    private readonly output: Output,
  ) {
    this.#name = leaseName(project);
    this.where = `Lease ${namespace}/${this.#name}`;
  }

  async tryAcquire(): Promise<Attempt> {
    const { coordination } = this.kube;
    const { namespace } = this;
    let createdNamespace = false;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        this.#stored = await coordination.createNamespacedLease({ namespace, body: this.#lease(0) });
        this.#startRenewing();
        return { acquired: true };
      } catch (error) {
        if (codeOf(error) === 404 && !createdNamespace) {
          // No namespace yet: nothing of the project is on the cluster for a rollback or a scale to change, while
          // a first deploy takes the lock before the apply that would have created the namespace.
          if (this.holder.operation !== 'deploy') {
            this.output.debug(`namespace ${namespace} does not exist: no lock to take`);
            return { acquired: true };
          }
          createdNamespace = true;
          await this.#createNamespace();
          continue;
        }
        if (codeOf(error) !== 409) throw leaseFailure('create', this.where, error);
      }
      const current = await coordination.readNamespacedLease({ name: this.#name, namespace }).catch((error: unknown) => {
        if (codeOf(error) === 404) return undefined; // released in between: create it again
        throw leaseFailure('read', this.where, error);
      });
      if (!current) continue;
      const state = leaseState(current, new Date());
      if (state.kind === 'held') return { acquired: false, holder: state.holder };
      const body = this.#lease((current.spec?.leaseTransitions ?? 0) + 1);
      body.metadata!.resourceVersion = current.metadata?.resourceVersion;
      try {
        this.#stored = await coordination.replaceNamespacedLease({ name: this.#name, namespace, body });
      } catch (error) {
        if (codeOf(error) === 409) continue; // another process took it over first
        throw leaseFailure('update', this.where, error);
      }
      this.#startRenewing();
      return state.kind === 'expired'
        ? { acquired: true, tookOver: { holder: state.holder, why: `its Lease expired at ${state.expiredAt.toISOString()}` } }
        : { acquired: true };
    }
    const current = await coordination.readNamespacedLease({ name: this.#name, namespace }).catch(() => undefined);
    return { acquired: false, holder: current ? leaseHolder(current) : this.holder };
  }

  async release(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
    const stored = this.#stored;
    this.#stored = undefined;
    if (!stored) return;
    const { coordination } = this.kube;
    const { namespace } = this;
    let resourceVersion = stored.metadata?.resourceVersion;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        // The precondition makes the delete a no-op on a Lease someone else has taken over since.
        await coordination.deleteNamespacedLease({ name: this.#name, namespace, body: { preconditions: { resourceVersion } } });
        return;
      } catch (error) {
        if (codeOf(error) === 404) return;
        if (codeOf(error) !== 409) {
          this.output.warn(`could not release ${this.where} (${messageOf(error)}); it expires on its own within 30 s`);
          return;
        }
      }
      const current = await coordination.readNamespacedLease({ name: this.#name, namespace }).catch(() => undefined);
      if (current?.spec?.holderIdentity !== this.holder.id) return;
      resourceVersion = current.metadata?.resourceVersion;
    }
  }

  #lease(transitions: number): V1Lease {
    const { namespace, project, holder } = this;
    return leaseFor({ name: this.#name, namespace, project, holder, now: new Date(), transitions }, (at) => this.kube.microTime(at));
  }

  #startRenewing(): void {
    this.#timer = setInterval(() => {
      this.#renewing = this.#renewing.then(() => this.#renew());
    }, RENEW_EVERY_MS);
    // A lock being renewed must not keep a finished process alive (release clears it in any case).
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    const stored = this.#stored;
    if (!stored || this.#timer === undefined) return;
    const { coordination } = this.kube;
    const body: V1Lease = {
      ...stored,
      spec: { ...stored.spec, renewTime: this.kube.microTime(new Date()) },
    };
    try {
      this.#stored = await coordination.replaceNamespacedLease({ name: this.#name, namespace: this.namespace, body });
    } catch (error) {
      if (codeOf(error) !== 409 && codeOf(error) !== 404) {
        this.output.debug(`renewing ${this.where} failed (${messageOf(error)}); trying again in ${RENEW_EVERY_MS / 1000} s`);
        return;
      }
      const current = await coordination.readNamespacedLease({ name: this.#name, namespace: this.namespace }).catch(() => undefined);
      if (current?.spec?.holderIdentity === this.holder.id) {
        this.#stored = current; // changed by someone else but still ours: renew on the next tick from this version
        return;
      }
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#stored = undefined;
      this.output.warn(
        current
          ? `lost ${this.where} to ${describeHolder(leaseHolder(current))}; another operation may now run alongside this one`
          : `${this.where} was deleted by someone else; another operation may now run alongside this one`,
      );
    }
  }

  /** The deploy's apply then gives the Namespace its rendered labels and annotations ("configured"). */
  async #createNamespace(): Promise<void> {
    const created = await this.kube.core.createNamespace({ body: { metadata: { name: this.namespace } } }).then(
      () => true,
      (error: unknown) => {
        if (codeOf(error) !== 409) throw leaseFailure('create the namespace for', this.where, error);
        return false;
      },
    );
    if (created) this.output.info(`Namespace/${this.namespace} created (to hold the project lock)`);
  }
}

function messageOf(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

function leaseFailure(verb: string, where: string, error: unknown): MlpError {
  const code = codeOf(error);
  return new MlpError(code === 401 || code === 403 ? 'credentials' : 'prerequisite', `Could not ${verb} ${where}: ${messageOf(error)}`, {
    hint:
      code === 401 || code === 403
        ? 'the identity mlp uses needs RBAC permission to get, create, update and delete Leases (coordination.k8s.io) in the namespace'
        : 'check that the cluster is reachable',
    cause: error,
  });
}
