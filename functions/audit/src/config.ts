import { AUDIT_STORES_ENV, auditStoresSchema } from '@couponkill/audit';
import { jobTokenSchema } from '@couponkill/auth';
import { configLoader } from '@couponkill/config';

export const auditConfigSchema = auditStoresSchema.extend({
  /** The token the PingSource sends (`Authorization: Bearer …`); the job is refused without it. */
  jobToken: jobTokenSchema.optional(),
});

export const loadAuditConfig = configLoader('audit', auditConfigSchema, {
  ...AUDIT_STORES_ENV,
  JOB_TOKEN: 'jobToken',
});
