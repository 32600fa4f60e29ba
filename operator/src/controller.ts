import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@couponkill/logging';
import { ulid } from 'ulid';
import { type Action, type Decision, decide, type KubeEvent, running, setCondition } from './lifecycle.js';
import type { FlowRulesPublisher, Scaler, SeckillStore } from './ports.js';
import { PermanentError, type SaleBackend, SpecRejected } from './sale-backend.js';
import type { SeckillObject, SeckillStatus } from './types.js';

export interface ControllerOptions {
  readonly store: SeckillStore;
  readonly backend: SaleBackend;
  readonly scaler: Scaler;
  readonly flowRules: FlowRulesPublisher;
  readonly logger: Logger;
  /** How often counters are refreshed while a sale runs. */
  readonly refreshMs: number;
  /** How often the list of Seckills is read (each object is looked at when it is due or changed). */
  readonly pollMs: number;
  /** Asked before every pass: only the leader acts. */
  readonly isLeader?: () => boolean;
  /** Told each action just before it runs (tests use it to prove that two replicas never act at once). */
  readonly onAction?: (object: SeckillObject, action: Action) => void;
  readonly now?: () => number;
}

const RETRY_MS = 1000;

/**
 * Runs the lifecycle: reads every Seckill, asks `decide` what to do, carries out the actions and
 * writes the status. Objects are looked at again when their requeue time comes or they change.
 */
export class Controller {
  readonly #o: ControllerOptions;
  readonly #due = new Map<string, { at: number; version: string }>();
  #stopped = false;

  constructor(options: ControllerOptions) {
    this.#o = options;
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  /** Passes until `stop()`; errors of one pass are logged and the next pass tries again. */
  async run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (this.#o.isLeader?.() ?? true) await this.pass();
      } catch (err) {
        this.#o.logger.warn({ err }, 'controller pass failed; retrying');
      }
      await sleep(this.#o.pollMs);
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  /** One look at every Seckill that is due (or changed since the last look). */
  async pass(): Promise<void> {
    const objects = await this.#o.store.list();
    const now = this.#now();
    for (const object of objects) {
      const version = `${object.generation}/${object.deleting}/${object.status.phase ?? ''}`;
      const due = this.#due.get(object.uid);
      if (due !== undefined && due.version === version && due.at > now) continue;
      if (!(this.#o.isLeader?.() ?? true)) return; // lost the lease mid-pass: stop acting at once
      const after = await this.reconcile(object);
      this.#due.set(object.uid, { at: after === undefined ? Infinity : this.#now() + after, version });
    }
  }

  /** Reconciles one object; returns when to look again (undefined: only when it changes). */
  async reconcile(object: SeckillObject): Promise<number | undefined> {
    const { store, backend, logger } = this.#o;
    const log = logger.child({ seckill: `${object.namespace}/${object.name}` });
    if (!object.deleting) await store.ensureFinalizer(object);
    const couponId = object.status.couponId;
    const counters =
      couponId !== undefined && running(object.status.phase)
        ? await backend.counters(couponId, object.spec.stock).catch((err: unknown) => {
            log.warn({ err }, 'could not read the sale counters');
            return undefined;
          })
        : undefined;
    const decision = decide(object, {
      now: this.#now(),
      counters,
      newCouponId: ulid(),
      refreshMs: this.#o.refreshMs,
    });
    let status: SeckillStatus = decision.status;
    const events: KubeEvent[] = [...decision.events];
    try {
      for (const action of decision.actions) {
        if (!(this.#o.isLeader?.() ?? true)) throw new Error('lost leadership');
        this.#o.onAction?.(object, action);
        status = { ...status, ...(await this.#act(object, status, action)) };
      }
    } catch (err) {
      return this.#failed(object, decision, status, err, log);
    }
    const stuck = status.conditions?.find((c) => c.type === 'Progressing' && c.status === 'False');
    if (stuck !== undefined) {
      // The actions that failed before went through this time.
      const at = new Date(this.#now()).toISOString();
      status = {
        ...status,
        conditions: setCondition(
          status,
          'Progressing',
          'True',
          'ActionsApplied',
          'the last actions succeeded',
          at,
          object.generation,
        ),
      };
    }
    if (!sameStatus(object.status, status)) await store.writeStatus(object, status);
    for (const event of events)
      await store.event(object, event).catch((err: unknown) => log.warn({ err }, 'could not record an event'));
    if (object.status.phase !== status.phase)
      log.info(
        { from: object.status.phase ?? 'new', to: status.phase, reason: status.reason },
        `seckill ${status.phase}`,
      );
    if (object.deleting && decision.actions.length === 0) await store.removeFinalizer(object);
    else if (object.deleting) return 0; // cleanup done: the next pass removes the finalizer
    return decision.requeueAfterMs;
  }

  async #act(object: SeckillObject, status: SeckillStatus, action: Action): Promise<Partial<SeckillStatus>> {
    const { backend, scaler, flowRules } = this.#o;
    switch (action.kind) {
      case 'prepareCoupon':
        await backend.prepareCoupon(action.sale);
        return {};
      case 'scaleUp':
        return { scaledFrom: await scaler.scaleUp(object, action.sale, status.scaledFrom) };
      case 'scaleDown':
        if (status.scaledFrom !== undefined) await scaler.scaleDown(object, status.scaledFrom);
        return { scaledFrom: undefined };
      case 'publishFlowRules':
        return { flowRules: await flowRules.publish(object, action.sale) };
      case 'withdrawFlowRules':
        if (status.couponId !== undefined) await flowRules.withdraw(object, status.couponId);
        return { flowRules: status.flowRules === undefined ? undefined : { ...status.flowRules, published: false } };
      case 'audit': {
        const { summary, counters } = await backend.audit(action.couponId);
        return {
          ...counters,
          lag: 0,
          outbox: 0,
          report: summary,
          message: `audited: ${summary.verdict}, ${summary.liveOrders} orders, ${summary.stockLeft} left`,
        };
      }
    }
  }

  /** An action failed: a permanent failure ends the sale, a refused edit keeps the old spec, anything else is retried. */
  async #failed(
    object: SeckillObject,
    decision: Decision,
    partial: SeckillStatus,
    err: unknown,
    log: Logger,
  ): Promise<number | undefined> {
    const now = new Date(this.#now()).toISOString();
    const message = err instanceof Error ? err.message : String(err);
    const generation = object.generation;
    if (err instanceof PermanentError) {
      const status: SeckillStatus = {
        ...partial,
        phase: 'Failed',
        reason: err.reason,
        message,
        conditions: setCondition(partial, 'Ready', 'False', err.reason, message, now, generation),
      };
      await this.#o.store.writeStatus(object, status);
      await this.#o.store.event(object, { type: 'Warning', reason: err.reason, message }).catch(() => undefined);
      log.warn({ reason: err.reason }, message);
      return 0; // next pass scales back down what was raised
    }
    // Nothing of this pass is kept but what the actions already did (they are repeated next time).
    const reason = err instanceof SpecRejected ? err.reason : 'ActionFailed';
    const type = err instanceof SpecRejected ? 'SpecAccepted' : 'Progressing';
    const refused = err instanceof SpecRejected;
    const status: SeckillStatus = {
      ...object.status,
      // A refused edit counts as seen, so it is not retried until the spec changes again.
      observedGeneration: refused ? generation : object.status.observedGeneration,
      scaledFrom: partial.scaledFrom ?? object.status.scaledFrom,
      conditions: setCondition(object.status, type, 'False', reason, message, now, generation),
    };
    if (!sameStatus(object.status, status)) {
      await this.#o.store
        .writeStatus(object, status)
        .catch((writeErr: unknown) => log.warn({ err: writeErr }, 'could not write the status'));
      await this.#o.store.event(object, { type: 'Warning', reason, message }).catch(() => undefined);
    }
    log.warn({ reason, pending: decision.actions.map((a) => a.kind) }, message);
    return refused ? this.#o.refreshMs : RETRY_MS;
  }
}

/** Equal apart from when the counters were read (so an idle sale does not rewrite its status). */
function sameStatus(a: SeckillStatus, b: SeckillStatus): boolean {
  const strip = ({ countersAt: _c, ...rest }: SeckillStatus) => canonical(rest);
  return strip(a) === strip(b);
}

/** JSON with keys sorted at every level and undefined members dropped. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
