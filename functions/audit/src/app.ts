import { auditCoupon } from '@couponkill/audit';
import { requireJobToken } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { createFunctionKit, type FunctionApp, implement } from '@couponkill/http';
import type { auditConfigSchema } from './config.js';
import { auditContract } from './contract.js';
import { connectAuditDeps } from './deps.js';

export const FUNCTION_NAME = 'audit';

/** The job a PingSource calls (`POST /jobs/audit`), guarded by a shared job token. */
export async function createAudit(config: ConfigStore<typeof auditConfigSchema>): Promise<FunctionApp> {
  const kit = createFunctionKit(FUNCTION_NAME);
  const deps = await connectAuditDeps(config);
  const handler = kit.handler({
    authorize: async (auth, headers) => {
      if (auth === 'job') requireJobToken(headers, config.current.jobToken);
    },
    routes: [
      implement(auditContract, async ({ req, body: input, log }) => {
        requireJobToken(req.headers, config.current.jobToken);
        const reports = [];
        for (const couponId of input.couponIds)
          reports.push(await auditCoupon(deps, couponId, { repair: input.repair }));
        for (const r of reports.filter((r) => r.verdict !== 'CONSISTENT')) log.warn({ report: r }, 'sale state drift');
        return { status: 200, body: { reports } };
      }),
    ],
  });
  return { handler, close: () => deps.close() };
}
