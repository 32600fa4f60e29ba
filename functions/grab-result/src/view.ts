import { couponOfGrab, type GrabRecord, type GrabStatus } from '@couponkill/sale';

/** What the owner of a grab is shown: the record without its internals (userId, seq). */
export interface GrabView {
  readonly grabId: string;
  readonly couponId: string;
  readonly status: GrabStatus;
  /** ISO 8601, UTC. */
  readonly acceptedAt: string;
  readonly orderId?: string;
  readonly reason?: string;
}

/**
 * States that settle a grab for the client, so a stream ends on them. (A SUCCEEDED grab can still
 * become CANCELLED when its order is cancelled much later; that is followed on the order.)
 */
const FINAL: ReadonlySet<GrabStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function isFinal(status: GrabStatus): boolean {
  return FINAL.has(status);
}

/**
 * Whether a grab id is worth a Redis read: it must name its coupon (`<couponUlid>_<ulid>`).
 * Anything else is answered exactly like an unknown grab.
 */
export function isGrabId(grabId: string): boolean {
  return couponOfGrab(grabId) !== undefined;
}

/**
 * The record if `userId` owns it, otherwise undefined: someone else's grab looks exactly like
 * one that does not exist, so grab ids cannot be probed.
 */
export function ownedBy(record: GrabRecord | undefined, userId: string): GrabRecord | undefined {
  return record !== undefined && record.userId === userId ? record : undefined;
}

export function grabView(record: GrabRecord): GrabView {
  return {
    grabId: record.grabId,
    couponId: record.couponId,
    status: record.status,
    acceptedAt: new Date(record.acceptedAt).toISOString(),
    ...(record.orderId === undefined ? {} : { orderId: record.orderId }),
    ...(record.reason === undefined ? {} : { reason: record.reason }),
  };
}
