import { parseConfigDocument } from '@couponkill/config';
import type { ParseResult } from '@couponkill/nacos';
import type { TokenBucket } from '@couponkill/redis';
import { isCouponId } from '@couponkill/sale';
import { z } from 'zod';

/**
 * One rate: `ratePerSecond` sustained, `burst` at once (the bucket's size). Without `burst`,
 * one second's worth (at least 1).
 */
const bucketSchema = z
  .strictObject({
    ratePerSecond: z.number().positive().max(1_000_000),
    burst: z.number().int().min(1).max(1_000_000).optional(),
  })
  .transform((b): TokenBucket => ({
    ratePerSecond: b.ratePerSecond,
    burst: b.burst ?? Math.max(1, Math.ceil(b.ratePerSecond)),
  }));

/** A coupon's own rules: a bucket replaces the default, `null` switches the dimension off. */
const couponRulesSchema = z.strictObject({
  perCoupon: bucketSchema.nullable().optional(),
  perUser: bucketSchema.nullable().optional(),
  perIp: bucketSchema.nullable().optional(),
});

/**
 * `flow-rules.yaml`: every key optional; a missing rate is no limit. Unknown keys are errors, so
 * a typo (`perUsr`) is rejected rather than silently switching a rule off.
 */
export const flowRulesSchema = z.strictObject({
  /** All grabs of all coupons together (every instance, through one Redis bucket). */
  global: bucketSchema.optional(),
  /** Each coupon's grabs (default for every coupon). */
  perCoupon: bucketSchema.optional(),
  /** Each user's grabs of one coupon. */
  perUser: bucketSchema.optional(),
  /** Each client address's grabs of one coupon. */
  perIp: bucketSchema.optional(),
  /** Rules of single coupons by id, over the defaults above (a sale can publish its own). */
  coupons: z
    .record(z.string().refine(isCouponId, 'coupon ids are ULIDs (26 characters, upper case)'), couponRulesSchema)
    .default({}),
  /** Grabs one instance handles at once; more are refused at once, before Redis. */
  maxConcurrentGrabsPerInstance: z.number().int().min(1).max(1_000_000).optional(),
});
export type FlowRulesDocument = z.output<typeof flowRulesSchema>;

/**
 * What applies when neither a file nor Nacos says anything: no rates (an operator sets them
 * knowing the capacity), and a per-instance cap on grabs in flight so a burst cannot pile up
 * unbounded work in one process.
 */
export const EMBEDDED_FLOW_RULES: FlowRulesDocument = flowRulesSchema.parse({ maxConcurrentGrabsPerInstance: 1000 });

/** Parses and validates a flow-rules document (YAML or JSON); the reason names every bad key. */
export function parseFlowRules(text: string): ParseResult<FlowRulesDocument> {
  const doc = parseConfigDocument(text);
  if (!doc.ok) return doc;
  const rules = flowRulesSchema.safeParse(doc.data);
  if (rules.success) return { ok: true, value: rules.data };
  const problems = rules.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    return `${key || '(root)'}: ${issue.message}`;
  });
  return { ok: false, reason: problems.join('; ') };
}
