import { describe, expect, it } from 'vitest';
import { blockerOf, conflictOf, isPastDue } from '../src/rules.js';

const validUntil = new Date('2025-11-18T00:00:00.000Z');
const before = new Date(validUntil.getTime() - 1);

describe('what an order may still do', () => {
  it('lets an UNUSED order be cancelled or used until, not including, validUntil', () => {
    expect(blockerOf({ status: 'UNUSED', validUntil }, before)).toBeUndefined();
    expect(isPastDue({ validUntil }, before)).toBe(false);
    expect(isPastDue({ validUntil }, validUntil)).toBe(true);
    expect(blockerOf({ status: 'UNUSED', validUntil }, validUntil)).toBe('PAST_DUE');
  });

  it('treats every other status as final, whatever the time', () => {
    for (const status of ['USED', 'CANCELLED', 'EXPIRED'] as const) {
      expect(blockerOf({ status, validUntil }, before)).toBe(status);
      expect(blockerOf({ status, validUntil }, new Date(validUntil.getTime() + 1))).toBe(status);
    }
  });
});

describe('the 409 for a refused move', () => {
  it('is a CONFLICT for every blocker and action', () => {
    for (const action of ['cancel', 'use'] as const) {
      for (const blocker of ['USED', 'CANCELLED', 'EXPIRED', 'PAST_DUE'] as const) {
        const error = conflictOf(action, blocker, validUntil);
        expect(error.code).toBe('CONFLICT');
        expect(error.status).toBe(409);
      }
    }
  });

  it('says which state refused it', () => {
    expect(conflictOf('cancel', 'CANCELLED', validUntil).message).toBe('This order is already cancelled.');
    expect(conflictOf('use', 'USED', validUntil).message).toBe('This order is already used.');
    expect(conflictOf('cancel', 'USED', validUntil).message).toMatch(/used; it can no longer be cancelled/);
    expect(conflictOf('use', 'CANCELLED', validUntil).message).toMatch(/cancelled; it can no longer be used/);
  });

  it('names the moment an expired order stopped being valid', () => {
    for (const blocker of ['EXPIRED', 'PAST_DUE'] as const) {
      expect(conflictOf('use', blocker, validUntil).message).toBe(
        'This order expired at 2025-11-18T00:00:00.000Z; it can no longer be used.',
      );
    }
  });
});
