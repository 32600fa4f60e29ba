import { loadConfig } from '@couponkill/config';
import { RECONCILE_STORES_ENV, reconcileStoresSchema } from '@couponkill/repair';
import { z } from 'zod';

export const reconcileConfigSchema = reconcileStoresSchema.extend({
  /** The token the PingSource sends (`Authorization: Bearer …`); the job is refused without it. */
  jobToken: z.string().min(16, 'at least 16 characters').optional(),
});

export function loadReconcileConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(
    {
      name: 'reconcile',
      schema: reconcileConfigSchema,
      fileEnv: 'CONFIG_FILE',
      env: { ...RECONCILE_STORES_ENV, JOB_TOKEN: 'jobToken' },
    },
    { env },
  );
}
