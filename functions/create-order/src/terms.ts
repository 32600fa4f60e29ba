import type { CouponTerms, TermsLookup } from './writer.js';

/**
 * Coupon terms change rarely and every order of a sale needs the same ones: remember them for a
 * while instead of reading the coupon table for each batch. Missing coupons are not remembered.
 */
export function cachedTerms(load: TermsLookup, ttlMs: number): TermsLookup {
  const cache = new Map<string, { terms: CouponTerms; until: number }>();
  return async (couponId) => {
    const hit = cache.get(couponId);
    if (hit !== undefined && Date.now() < hit.until) return hit.terms;
    const terms = await load(couponId);
    if (terms !== undefined && ttlMs > 0) cache.set(couponId, { terms, until: Date.now() + ttlMs });
    return terms;
  };
}
