import { z } from 'zod';
import { defineEventType } from './event-type.js';

/** Kafka topics, one per event type (plus its dead-letter twin). */
export const TOPICS = {
  grabAccepted: 'coupon.grab.accepted',
  grabAcceptedDlq: 'coupon.grab.accepted.dlq',
} as const;

const id = z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, 'expected an id of letters, digits, _ or -');

/** A grab the Redis step accepted: stock and the user's slot are already taken for it. */
export const grabAccepted = defineEventType(
  'com.couponkill.grab.accepted.v1',
  z.strictObject({
    grabId: id,
    couponId: id,
    userId: id,
    /**
     * The user's n-th accepted grab of this coupon (1-based); unique per user and coupon. It only
     * grows (a cancel or an expiry does not lower it), so it has no bound below the safe integers.
     */
    seq: z.int().positive(),
    /** Redis server time of the decision, epoch milliseconds. */
    acceptedAt: z.number().int().positive(),
  }),
);

export const EVENT_TYPES = [grabAccepted] as const;
