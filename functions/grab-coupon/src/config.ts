import { VERIFIER_ENV, verifierSettingsSchema } from '@couponkill/auth';
import { configLoader } from '@couponkill/config';
import { FLOW_RULES_DATA_ID } from '@couponkill/flow';
import { NACOS_ENV, nacosSettingsSchema } from '@couponkill/nacos';
import { REDIS_ENV, redisOptionsSchema } from '@couponkill/redis';
import { trustedProxyHopsSchema } from '@couponkill/http';
import { z } from 'zod';

export const grabCouponConfigSchema = z.object({
  redis: redisOptionsSchema.prefault({}),
  auth: verifierSettingsSchema.prefault({}),
  /** Where the live flow rules are; without `serverAddr`, the file's (or the embedded) rules apply. */
  nacos: nacosSettingsSchema.prefault({}),
  flow: z
    .object({
      /** A flow-rules YAML file read at start: the rules while Nacos has none (or is not configured). */
      rulesFile: z.string().min(1).optional(),
      /** The Nacos data id of the rules. */
      dataId: z.string().min(1).default(FLOW_RULES_DATA_ID),
    })
    .prefault({}),
  /** Proxies in front that append to X-Forwarded-For (the Istio ingress gateway: 1); the per-IP rule counts that address. */
  trustedProxyHops: trustedProxyHopsSchema,
  /** How long a sold-out answer is served from memory before asking Redis again. */
  soldOutMarkMs: z.number().int().min(0).max(10_000).default(1000),
  /** How long a grab's result stays readable. */
  grabRecordTtlSeconds: z.number().int().min(60).default(86_400),
  /**
   * How long after it was sent a grab may still take a unit; a grab Redis has not answered by
   * then is settled by the fence (202 or 503 "nothing was taken"). Also the longest a client
   * waits during a Redis stall.
   */
  grabDeadlineMs: z.number().int().min(500).max(60_000).default(5000),
  /**
   * Most grabs of one coupon sent to Redis in one script run. Grabs made in the same turn of the
   * event loop go together, so under a flood each costs a fraction of a round trip; 1 sends each
   * on its own.
   */
  grabBatchMax: z.number().int().min(1).max(512).default(64),
  /** Unpublished intents one coupon's outbox may hold; past it grabs get 503 before taking stock. */
  outboxCap: z.number().int().min(1000).default(1_000_000),
});

export const loadGrabCouponConfig = configLoader('grab-coupon', grabCouponConfigSchema, {
  ...REDIS_ENV,
  ...VERIFIER_ENV,
  ...NACOS_ENV,
  FLOW_RULES_FILE: 'flow.rulesFile',
  FLOW_RULES_DATA_ID: 'flow.dataId',
  TRUSTED_PROXY_HOPS: 'trustedProxyHops',
  SOLD_OUT_MARK_MS: 'soldOutMarkMs',
  GRAB_DEADLINE_MS: 'grabDeadlineMs',
  GRAB_BATCH_MAX: 'grabBatchMax',
  OUTBOX_CAP: 'outboxCap',
});
