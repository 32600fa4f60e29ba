import type { GrabRecord } from '@couponkill/sale';
import { describe, expect, it } from 'vitest';
import { grabView, isFinal, isGrabId, ownedBy } from '../src/view.js';

const COUPON = '01JB8Z3Q4X5Y6Z7A8B9C0D1E2F';
const GRAB = `${COUPON}_01JB8Z3Q4X5Y6Z7A8B9C0D1E2G`;

const record = (overrides: Partial<GrabRecord> = {}): GrabRecord => ({
  grabId: GRAB,
  couponId: COUPON,
  userId: 'u-owner',
  status: 'QUEUED',
  seq: 1,
  acceptedAt: Date.UTC(2025, 10, 11, 0, 0, 0, 123),
  ...overrides,
});

describe('grab ids', () => {
  it('accepts <coupon ulid>_<ulid>', () => {
    expect(isGrabId(GRAB)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a coupon id alone', COUPON],
    ['a third part', `${GRAB}_01JB8Z3Q4X5Y6Z7A8B9C0D1E2H`],
    ['lower case', GRAB.toLowerCase()],
    ['letters outside Crockford base32', `${COUPON}_01JB8Z3Q4X5Y6Z7A8B9C0D1EIL`],
    ['too short', `${COUPON}_01JB8Z`],
    ['a Redis key pattern', `${COUPON}_*`],
  ])('refuses %s', (_name, id) => {
    expect(isGrabId(id)).toBe(false);
  });
});

describe('ownership', () => {
  it('shows a grab to its owner only', () => {
    const grab = record();
    expect(ownedBy(grab, 'u-owner')).toBe(grab);
    expect(ownedBy(grab, 'u-other')).toBeUndefined();
    expect(ownedBy(grab, '')).toBeUndefined();
  });

  it('answers an unknown grab the same way as someone else’s', () => {
    expect(ownedBy(undefined, 'u-owner')).toBe(ownedBy(record(), 'u-other'));
  });
});

describe('the owner’s view', () => {
  it('keeps out the user id and sequence, and gives the time in ISO 8601', () => {
    expect(grabView(record())).toEqual({
      grabId: GRAB,
      couponId: COUPON,
      status: 'QUEUED',
      acceptedAt: '2025-11-11T00:00:00.123Z',
    });
  });

  it('carries the order of a success and the reason of a failure', () => {
    expect(grabView(record({ status: 'SUCCEEDED', orderId: 'o-1' }))).toMatchObject({ orderId: 'o-1' });
    expect(grabView(record({ status: 'FAILED', reason: 'ORDER_REJECTED' }))).toMatchObject({
      status: 'FAILED',
      reason: 'ORDER_REJECTED',
    });
  });

  it('treats every state but QUEUED as settled', () => {
    expect(isFinal('QUEUED')).toBe(false);
    for (const status of ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const) expect(isFinal(status)).toBe(true);
  });
});
