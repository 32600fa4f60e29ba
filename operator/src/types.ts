import { z } from 'zod';

export const GROUP = 'couponkill.io';
export const VERSION = 'v1alpha1';
export const PLURAL = 'seckills';
export const KIND = 'Seckill';
export const FINALIZER = 'couponkill.io/seckill-cleanup';

const rfc3339 = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an RFC 3339 time');

/** One rate of flow-rules.yaml: `ratePerSecond` sustained, `burst` at once. */
const bucket = z
  .object({
    ratePerSecond: z.number().positive().max(1_000_000),
    burst: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();

/**
 * The Seckill spec, as the CRD defines it (operator/crds/seckill.couponkill.io.yaml), with the
 * same defaults: the API server applies them in a cluster, this schema applies them to a file
 * read by `make sale`, so both runtimes hand the lifecycle the same shape.
 */
export const seckillSpecSchema = z
  .object({
    coupon: z
      .object({
        ref: z
          .string()
          .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a coupon id (ULID)')
          .optional(),
        inline: z
          .object({
            name: z.string().min(1).max(100),
            faceValue: z.number().int().min(1),
            minSpend: z.number().int().min(0).default(0),
            validDays: z.number().int().min(1).max(365).default(7),
          })
          .optional(),
      })
      .refine((c) => (c.ref === undefined) !== (c.inline === undefined), 'needs exactly one of ref or inline'),
    stock: z.number().int().min(1).max(100_000_000),
    perUserLimit: z.number().int().min(1).max(100).default(1),
    window: z
      .object({ start: rfc3339, end: rfc3339 })
      .refine((w) => Date.parse(w.end) > Date.parse(w.start), 'end must be later than start'),
    prewarmSeconds: z.number().int().min(0).max(86_400).default(300),
    drainTimeoutSeconds: z.number().int().min(1).max(86_400).default(600),
    scaling: z
      .object({
        grab: z
          .object({
            service: z.string().default('grab-coupon'),
            minScale: z.number().int().min(0).max(1000).default(1),
          })
          .prefault({}),
        orderWorker: z
          .object({
            service: z.string().default('create-order'),
            kafkaSource: z.string().optional(),
            scaledObject: z.string().optional(),
            minScale: z.number().int().min(0).max(1000).default(1),
          })
          .prefault({}),
      })
      .prefault({}),
    flowRules: z
      .object({ perCoupon: bucket.optional(), perUser: bucket.optional(), perIp: bucket.optional() })
      .strict()
      .optional(),
  })
  .strict();

export type SeckillSpec = z.infer<typeof seckillSpecSchema>;

export type Phase = 'Pending' | 'Warming' | 'Open' | 'Closing' | 'Audited' | 'Failed';

export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export interface AuditSummary {
  readonly verdict: string;
  readonly totalStock: number;
  readonly liveOrders: number;
  readonly stockLeft: number;
  readonly userMismatches: number;
  readonly repaired: boolean;
  readonly actions: readonly string[];
}

export type FlowRuleOverrides = NonNullable<SeckillSpec['flowRules']>;

export interface FlowRulesStatus {
  readonly published: boolean;
  readonly target: string;
  readonly rules: FlowRuleOverrides;
}

export interface SeckillStatus {
  readonly phase?: Phase;
  readonly reason?: string;
  readonly message?: string;
  readonly observedGeneration?: number;
  readonly couponId?: string;
  readonly sold?: number;
  readonly remaining?: number;
  readonly ordersDurable?: number;
  readonly lag?: number;
  readonly outbox?: number;
  readonly countersAt?: string;
  readonly warmedAt?: string;
  readonly openedAt?: string;
  readonly closedAt?: string;
  readonly auditedAt?: string;
  readonly acceptedWindow?: { readonly start: string; readonly end: string };
  readonly scaledFrom?: Readonly<Record<string, string>>;
  readonly flowRules?: FlowRulesStatus;
  readonly report?: AuditSummary;
  readonly conditions?: readonly Condition[];
}

/** What the lifecycle needs to know about one Seckill object, whatever stores it. */
export interface SeckillObject {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly deleting: boolean;
  readonly spec: SeckillSpec;
  readonly status: SeckillStatus;
}
