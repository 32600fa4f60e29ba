import { AppError } from '@couponkill/errors';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseWith, type SafeParser } from '../src/index.js';

interface Grab {
  readonly qty: number;
}

/** A hand-written schema with zod's `safeParse` shape: the helper must not depend on zod. */
const grabSchema: SafeParser<Grab> = {
  safeParse(value) {
    const qty = (value as { qty?: unknown } | null)?.qty;
    if (typeof qty === 'number' && qty >= 1) return { success: true, data: { qty } };
    return { success: false, error: { issues: [{ path: ['qty'], message: 'Expected a number ≥ 1' }] } };
  },
};

describe('parseWith', () => {
  it('returns the typed data when valid', () => {
    const data = parseWith(grabSchema, { qty: 2 }, 'body');
    expectTypeOf(data).toEqualTypeOf<Grab>();
    expect(data).toEqual({ qty: 2 });
  });

  it('throws VALIDATION_FAILED naming each bad field under `where`', () => {
    let thrown: unknown;
    try {
      parseWith(grabSchema, { qty: 0 }, 'body');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 400,
      fields: [{ field: 'body.qty', message: 'Expected a number ≥ 1' }],
    });
  });
});
