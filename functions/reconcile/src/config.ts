import { jobTokenSchema } from '@couponkill/auth';
import { configLoader } from '@couponkill/config';
import { RECONCILE_STORES_ENV, reconcileStoresSchema } from '@couponkill/repair';

export const reconcileConfigSchema = reconcileStoresSchema.extend({
  /** The token the PingSource sends (`Authorization: Bearer …`); the job is refused without it. */
  jobToken: jobTokenSchema.optional(),
});

export const loadReconcileConfig = configLoader('reconcile', reconcileConfigSchema, {
  ...RECONCILE_STORES_ENV,
  JOB_TOKEN: 'jobToken',
});
