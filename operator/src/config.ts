import { AUDIT_STORES_ENV, auditStoresSchema } from '@couponkill/audit';
import { configLoader } from '@couponkill/config';
import { OUTBOX_REGISTRY } from '@couponkill/sale';
import { z } from 'zod';

/** The operator reads and repairs the same stores the audit does, plus its own settings. */
export const operatorConfigSchema = auditStoresSchema.extend({
  /** Watch one namespace (the usual, with a Role), or every namespace when empty (a ClusterRole). */
  watchNamespace: z.string().default(''),
  /** Where the leader-election Lease lives (the operator's own namespace). */
  leaseNamespace: z.string().default('couponkill'),
  leaseName: z.string().default('couponkill-operator'),
  /** This replica's name in the Lease (the pod name; set from the downward API). */
  identity: z.string().min(1).default('couponkill-operator'),
  leaseDurationMs: z.number().int().min(1000).default(15_000),
  leaseRetryMs: z.number().int().min(100).default(2_000),
  /** Live counters in the status are refreshed this often while a sale runs. */
  refreshMs: z.number().int().min(100).default(5_000),
  pollMs: z.number().int().min(50).default(1_000),
  /** The Redis set the outbox relay finds coupons' outboxes in (the relay's default unless told). */
  outboxRegistry: z.string().default(OUTBOX_REGISTRY),
  /** Where per-sale flow rules are published; without a server address they go to the status only. */
  nacos: z
    .object({
      serverAddr: z.string().default(''),
      namespace: z.string().default(''),
      group: z.string().default('COUPONKILL'),
      username: z.string().optional(),
      password: z.string().optional(),
    })
    .prefault({}),
  flowRulesDataId: z.string().default('flow-rules.yaml'),
  /** /healthz, /readyz and /metrics. */
  port: z.number().int().min(1).max(65535).default(8080),
});

export type OperatorConfig = z.infer<typeof operatorConfigSchema>;

export const loadOperatorConfig = configLoader('operator', operatorConfigSchema, {
  ...AUDIT_STORES_ENV,
  WATCH_NAMESPACE: 'watchNamespace',
  LEASE_NAMESPACE: 'leaseNamespace',
  LEASE_NAME: 'leaseName',
  POD_NAME: 'identity',
  REFRESH_MS: 'refreshMs',
  POLL_MS: 'pollMs',
  PORT: 'port',
  NACOS_SERVER_ADDR: 'nacos.serverAddr',
  NACOS_NAMESPACE: 'nacos.namespace',
  NACOS_USERNAME: 'nacos.username',
  NACOS_PASSWORD: 'nacos.password',
  FLOW_RULES_DATA_ID: 'flowRulesDataId',
});
