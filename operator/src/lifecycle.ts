import type { Condition, Phase, SeckillObject, SeckillSpec, SeckillStatus } from './types.js';

/** Live numbers of a sale, read from Redis, MySQL and Kafka on each pass. */
export interface SaleCounters {
  readonly sold: number;
  readonly remaining: number;
  readonly ordersDurable: number;
  readonly lag: number;
  readonly outbox: number;
}

export interface Observations {
  readonly now: number;
  /** Present once the sale has a coupon and the runtime could read them. */
  readonly counters?: SaleCounters;
  /** A fresh coupon id, used only when an inline coupon has none yet. */
  readonly newCouponId: string;
  /** How often counters are refreshed while a sale runs. */
  readonly refreshMs: number;
}

export interface SaleParameters {
  readonly couponId: string;
  readonly spec: SeckillSpec;
  readonly window: { readonly start: string; readonly end: string };
}

/** Side effects the runtime carries out; each is idempotent, so repeating one is harmless. */
export type Action =
  | { readonly kind: 'prepareCoupon'; readonly sale: SaleParameters }
  | { readonly kind: 'scaleUp'; readonly sale: SaleParameters }
  | { readonly kind: 'scaleDown' }
  | { readonly kind: 'publishFlowRules'; readonly sale: SaleParameters }
  | { readonly kind: 'withdrawFlowRules' }
  | { readonly kind: 'audit'; readonly couponId: string };

export interface KubeEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface Decision {
  /** The status to write once every action succeeded (action results are merged into it). */
  readonly status: SeckillStatus;
  readonly actions: readonly Action[];
  readonly events: readonly KubeEvent[];
  /** When to look again at the latest; undefined: only when the object changes. */
  readonly requeueAfterMs: number | undefined;
}

const RUNNING: readonly Phase[] = ['Warming', 'Open', 'Closing'];

/**
 * The whole sale lifecycle as one pure function of what is known now. Level-triggered: it looks
 * only at the spec, the last written status and the observations, never at what happened in an
 * earlier call, so an operator restarted at any phase decides the same thing again; and actions
 * are idempotent, so one repeated after a crash (done, but its status not yet written) is harmless.
 */
export function decide(object: SeckillObject, obs: Observations): Decision {
  const { spec, status } = object;
  const now = obs.now;
  const iso = new Date(now).toISOString();
  const phase: Phase = status.phase ?? 'Pending';
  const events: KubeEvent[] = [];
  const actions: Action[] = [];
  let next: Mutable<SeckillStatus> = { ...status, phase, observedGeneration: object.generation };
  if (obs.counters !== undefined && phase !== 'Audited') {
    next = { ...next, ...obs.counters, countersAt: iso };
  }
  const cleanup = (): void => {
    if (status.scaledFrom !== undefined) actions.push({ kind: 'scaleDown' });
    if (status.flowRules?.published === true) actions.push({ kind: 'withdrawFlowRules' });
  };

  if (object.deleting) {
    cleanup();
    return { status: next, actions, events, requeueAfterMs: undefined };
  }
  if (phase === 'Audited' || phase === 'Failed') {
    cleanup(); // a sale that failed while scaled up gives its instances back
    return { status: next, actions, events, requeueAfterMs: undefined };
  }

  const fail = (reason: string, message: string): Decision => {
    cleanup();
    events.push({ type: 'Warning', reason, message });
    return {
      status: {
        ...next,
        phase: 'Failed',
        reason,
        message,
        conditions: setCondition(next, 'Ready', 'False', reason, message, iso, object.generation),
      },
      actions,
      events,
      requeueAfterMs: undefined,
    };
  };
  const moveTo = (to: Phase, reason: string, message: string, at: Partial<SeckillStatus> = {}): void => {
    next = { ...next, ...at, phase: to, reason, message };
    events.push({ type: 'Normal', reason, message });
  };

  if (phase === 'Pending' && status.acceptedWindow === undefined && Date.parse(spec.window.end) <= now) {
    return fail('WindowInPast', `the sale window ended at ${spec.window.end}, before the sale was accepted`);
  }
  const couponId = status.couponId ?? spec.coupon.ref ?? obs.newCouponId;
  const windowCheck = acceptWindow(spec, status, phase, now);
  next = {
    ...next,
    couponId,
    acceptedWindow: windowCheck.window,
    conditions: windowCheck.rejected
      ? setCondition(next, 'SpecAccepted', 'False', windowCheck.reason, windowCheck.message, iso, object.generation)
      : setCondition(next, 'SpecAccepted', 'True', 'Valid', 'the spec is in effect', iso, object.generation),
  };
  if (windowCheck.rejected && !hasCondition(status, 'SpecAccepted', 'False', windowCheck.reason)) {
    events.push({ type: 'Warning', reason: windowCheck.reason, message: windowCheck.message });
  }
  const sale: SaleParameters = { couponId, spec, window: windowCheck.window };
  const start = Date.parse(sale.window.start);
  const end = Date.parse(sale.window.end);
  const warmAt = start - spec.prewarmSeconds * 1000;
  // A spec edit during a sale is applied again: new stock, limit, window, scale and rules.
  const edited = status.observedGeneration !== undefined && status.observedGeneration !== object.generation;
  const warmUp = (): void => {
    actions.push({ kind: 'prepareCoupon', sale }, { kind: 'scaleUp', sale });
    if (spec.flowRules !== undefined) actions.push({ kind: 'publishFlowRules', sale });
    else if (status.flowRules?.published === true) actions.push({ kind: 'withdrawFlowRules' });
  };
  const until = (at: number) => Math.max(0, Math.min(at - now, obs.refreshMs));

  switch (phase) {
    case 'Pending': {
      if (now < warmAt) {
        next = { ...next, reason: 'Scheduled', message: `warm-up at ${new Date(warmAt).toISOString()}` };
        return { status: next, actions, events, requeueAfterMs: warmAt - now };
      }
      warmUp();
      moveTo('Warming', 'Warming', `coupon ${couponId} preheated with ${spec.stock} units; instances scaled up`, {
        warmedAt: iso,
      });
      next = {
        ...next,
        conditions: setCondition(
          next,
          'Prewarmed',
          'True',
          'Preheated',
          'stock preheated, rules published, minimum instances requested',
          iso,
          object.generation,
        ),
      };
      return { status: next, actions, events, requeueAfterMs: until(start) };
    }
    case 'Warming':
    case 'Open': {
      if (edited) warmUp();
      if (now >= end) {
        actions.push({ kind: 'scaleDown' });
        if (status.flowRules?.published === true || spec.flowRules !== undefined)
          actions.push({ kind: 'withdrawFlowRules' });
        moveTo(
          'Closing',
          'Closing',
          'the window ended; instances scaled down, waiting for the outbox and the consumer lag to drain',
          {
            closedAt: iso,
          },
        );
        next = {
          ...next,
          conditions: setCondition(
            next,
            'SaleOpen',
            'False',
            'WindowEnded',
            'the sale window ended',
            iso,
            object.generation,
          ),
        };
        return { status: next, actions, events, requeueAfterMs: 0 };
      }
      if (phase === 'Warming' && now >= start) {
        moveTo('Open', 'Open', `the sale is open until ${sale.window.end}`, { openedAt: iso });
        next = {
          ...next,
          conditions: setCondition(
            next,
            'SaleOpen',
            'True',
            'WindowStarted',
            'grabs are accepted',
            iso,
            object.generation,
          ),
        };
        return { status: next, actions, events, requeueAfterMs: until(end) };
      }
      return { status: next, actions, events, requeueAfterMs: until(phase === 'Warming' ? start : end) };
    }
    case 'Closing': {
      const counters = obs.counters;
      if (counters !== undefined && counters.outbox === 0 && counters.lag === 0) {
        actions.push({ kind: 'audit', couponId });
        moveTo('Audited', 'Audited', 'drained and audited', { auditedAt: iso });
        next = {
          ...next,
          conditions: setCondition(
            next,
            'Drained',
            'True',
            'Drained',
            'the outbox and the consumer lag are empty',
            iso,
            object.generation,
          ),
        };
        return { status: next, actions, events, requeueAfterMs: undefined };
      }
      if (now > end + spec.drainTimeoutSeconds * 1000) {
        return fail(
          'DrainTimeout',
          `still ${counters?.outbox ?? '?'} intents in the outbox and a lag of ${counters?.lag ?? '?'} ${spec.drainTimeoutSeconds} s after the end`,
        );
      }
      next = {
        ...next,
        conditions: setCondition(
          next,
          'Drained',
          'False',
          'Draining',
          `outbox ${counters?.outbox ?? '?'}, lag ${counters?.lag ?? '?'}`,
          iso,
          object.generation,
        ),
      };
      return { status: next, actions, events, requeueAfterMs: obs.refreshMs };
    }
  }
}

/** Whether `phase` is one in which the sale's counters are worth reading. */
export function running(phase: Phase | undefined): boolean {
  return phase !== undefined && RUNNING.includes(phase);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface WindowCheck {
  readonly window: { readonly start: string; readonly end: string };
  readonly rejected: boolean;
  readonly reason: string;
  readonly message: string;
}

/**
 * The window in effect. An edit is refused (the last accepted window stays) when it would move
 * the end into the past, or the start into the past before the sale opened, or the start at all
 * once it opened — the API server's CEL rules cannot see the clock, so this check is ours.
 */
function acceptWindow(spec: SeckillSpec, status: SeckillStatus, phase: Phase, now: number): WindowCheck {
  const accepted = status.acceptedWindow;
  const ok = { window: { start: spec.window.start, end: spec.window.end }, rejected: false, reason: '', message: '' };
  if (accepted === undefined) return ok;
  const sameStart = Date.parse(accepted.start) === Date.parse(spec.window.start);
  const sameEnd = Date.parse(accepted.end) === Date.parse(spec.window.end);
  if (sameStart && sameEnd) return { ...ok, window: accepted };
  const refuse = (reason: string, message: string) => ({ window: accepted, rejected: true, reason, message });
  if (!sameEnd && Date.parse(spec.window.end) <= now) {
    return refuse('WindowInPast', `window.end ${spec.window.end} is in the past; keeping ${accepted.end}`);
  }
  if (!sameStart && phase !== 'Pending' && phase !== 'Warming') {
    return refuse('StartLocked', `window.start cannot change once the sale opened; keeping ${accepted.start}`);
  }
  if (!sameStart && Date.parse(spec.window.start) < now) {
    return refuse('WindowInPast', `window.start ${spec.window.start} is in the past; keeping ${accepted.start}`);
  }
  return ok;
}

function hasCondition(status: SeckillStatus, type: string, value: Condition['status'], reason: string): boolean {
  return (status.conditions ?? []).some((c) => c.type === type && c.status === value && c.reason === reason);
}

/** Sets one condition; its transition time moves only when its status does. */
export function setCondition(
  status: SeckillStatus,
  type: string,
  value: Condition['status'],
  reason: string,
  message: string,
  now: string,
  generation: number,
): Condition[] {
  const conditions = [...(status.conditions ?? [])];
  const i = conditions.findIndex((c) => c.type === type);
  const previous = conditions[i];
  const condition: Condition = {
    type,
    status: value,
    reason,
    message,
    lastTransitionTime: previous !== undefined && previous.status === value ? previous.lastTransitionTime : now,
    observedGeneration: generation,
  };
  if (i >= 0) conditions[i] = condition;
  else conditions.push(condition);
  return conditions;
}
