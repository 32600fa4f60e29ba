import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from '@couponkill/logging';

export interface LeaseOptions {
  readonly namespace: string;
  readonly name: string;
  /** This replica's name (the pod name in a cluster). */
  readonly identity: string;
  /** A holder that has not renewed for this long has lost the lease. */
  readonly leaseDurationMs: number;
  /** How often the holder renews and the others try. */
  readonly retryMs: number;
  readonly logger: Logger;
  readonly onChange?: (leader: boolean) => void;
}

/**
 * Leader election on a coordination.k8s.io Lease, the way client-go does it: the holder renews
 * `renewTime` every `retryMs`; another replica takes the lease only after it went unrenewed for
 * `leaseDurationMs`. Every write carries the resourceVersion read, so two replicas racing for an
 * expired lease cannot both win (one gets 409). A leader that cannot renew steps down on its own
 * before the lease could expire for the others (it counts from its last successful renewal).
 */
export class LeaseElector {
  readonly #api: CoordinationV1Api;
  readonly #o: LeaseOptions;
  #renewedAt = 0;
  /** What the API said at the last try; `#reported` is what we last told (logs and onChange). */
  #holding = false;
  #reported = false;
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(kc: KubeConfig, options: LeaseOptions) {
    this.#api = kc.makeApiClient(CoordinationV1Api);
    this.#o = options;
  }

  /** True only while our last renewal is recent enough that nobody else may have taken over. */
  isLeader(): boolean {
    // Half the duration: a margin for clock rate differences and the time a pass takes.
    return !this.#stopped && this.#holding && Date.now() - this.#renewedAt < this.#o.leaseDurationMs / 2;
  }

  run(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#tryAcquireOrRenew();
      } catch (err) {
        this.#o.logger.warn({ err }, 'lease: could not acquire or renew');
      }
      this.#set(this.isLeader());
      await sleep(this.#o.retryMs);
    }
  }

  /** Stops trying; a leader gives the lease up so another replica need not wait for it to expire. */
  async stop(): Promise<void> {
    this.#stopped = true;
    // A renewal still under way could otherwise mark us holding again after this point.
    await this.#loop;
    const held = this.#holding;
    this.#holding = false;
    this.#set(false);
    if (!held) return;
    try {
      const lease = await this.#api.readNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace });
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      lease.spec.holderIdentity = undefined;
      lease.spec.renewTime = undefined;
      lease.spec.acquireTime = undefined;
      await this.#api.replaceNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace, body: lease });
    } catch (err) {
      this.#o.logger.warn({ err }, 'lease: could not release');
    }
  }

  #set(leader: boolean): void {
    if (leader === this.#reported) return;
    this.#reported = leader;
    this.#o.logger.info({ identity: this.#o.identity, leader }, leader ? 'lease acquired' : 'lease lost');
    this.#o.onChange?.(leader);
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const { name, namespace, identity, leaseDurationMs } = this.#o;
    const started = Date.now();
    const now = new V1MicroTime(started);
    let lease: V1Lease | undefined;
    try {
      lease = await this.#api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      renewTime: now,
    };
    if (lease === undefined) {
      await this.#write(() =>
        this.#api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: { ...spec, acquireTime: now, leaseTransitions: 0 } },
        }),
      );
      this.#renewedAt = started;
      this.#holding = true;
      return;
    }
    const holder = lease.spec?.holderIdentity;
    if (holder === identity) {
      lease.spec = { ...lease.spec, ...spec };
      await this.#write(() => this.#api.replaceNamespacedLease({ name, namespace, body: lease }));
      this.#renewedAt = started;
      this.#holding = true;
      return;
    }
    // Someone else's: ours only if it went unrenewed for its whole duration (or was released).
    const renewed = lease.spec?.renewTime === undefined ? 0 : new Date(lease.spec.renewTime).getTime();
    const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== undefined && holder !== '' && started - renewed < duration) {
      this.#holding = false;
      return;
    }
    lease.spec = {
      ...lease.spec,
      ...spec,
      acquireTime: now,
      leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1,
    };
    await this.#write(() => this.#api.replaceNamespacedLease({ name, namespace, body: lease }));
    this.#renewedAt = started;
    this.#holding = true;
  }

  /** A write that lost a race (409) or found the lease gone means: not the leader this round. */
  async #write(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (err instanceof ApiException && (err.code === 409 || err.code === 404)) {
        this.#holding = false;
        this.#renewedAt = 0;
        return Promise.reject(new Error(`lease taken by another replica (${err.code})`));
      }
      throw err;
    }
  }
}
