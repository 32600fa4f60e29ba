import { requireJobToken } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { createFunctionKit, type FunctionApp, implement } from '@couponkill/http';
import { reconcileCoupon } from '@couponkill/repair';
import type { reconcileConfigSchema } from './config.js';
import { reconcileContract } from './contract.js';
import { connectReconcileDeps } from './deps.js';

export const FUNCTION_NAME = 'reconcile';

/** The job a PingSource calls (`POST /jobs/reconcile`), guarded by a shared job token. */
export async function createReconcile(config: ConfigStore<typeof reconcileConfigSchema>): Promise<FunctionApp> {
  const kit = createFunctionKit(FUNCTION_NAME);
  const deps = await connectReconcileDeps(config);
  const handler = kit.handler({
    authorize: async (auth, headers) => {
      if (auth === 'job') requireJobToken(headers, config.current.jobToken);
    },
    routes: [
      implement(reconcileContract, async ({ req, body: input, log }) => {
        requireJobToken(req.headers, config.current.jobToken);
        const reports = [];
        for (const couponId of input.couponIds)
          reports.push(await reconcileCoupon(deps, couponId, { repair: input.repair }));
        for (const r of reports.filter((r) => r.verdict !== 'CONSISTENT')) log.warn({ report: r }, 'sale state drift');
        return { status: 200, body: { reports } };
      }),
    ],
  });
  return { handler, close: () => deps.close() };
}
