import { timingSafeEqual } from 'node:crypto';
import type { ConfigStore } from '@couponkill/config';
import { AppError } from '@couponkill/errors';
import { createFunctionKit, createHttpFunction, type FunctionApp, parseWith } from '@couponkill/http';
import { z } from 'zod';
import type { reconcileConfigSchema } from './config.js';
import { connectReconcileDeps } from './deps.js';
import { reconcileCoupon } from './reconcile.js';

export const FUNCTION_NAME = 'reconcile';

const jobBody = z.strictObject({
  couponIds: z
    .array(z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/))
    .min(1)
    .max(1000),
  repair: z.boolean().default(true),
});

/** The job a PingSource calls (`POST /jobs/reconcile`), guarded by a shared job token. */
export async function createReconcile(config: ConfigStore<typeof reconcileConfigSchema>): Promise<FunctionApp> {
  const { logger, metrics, health } = createFunctionKit(FUNCTION_NAME);
  const deps = await connectReconcileDeps(config);
  const handler = createHttpFunction({
    name: FUNCTION_NAME,
    logger,
    metrics,
    health,
    routes: [
      {
        method: 'POST',
        path: '/jobs/reconcile',
        async handler({ req, body, log }) {
          requireJobToken(config.current.jobToken, req.headers['authorization']);
          const input = parseWith(jobBody, body ?? {}, 'body');
          const reports = [];
          for (const couponId of input.couponIds)
            reports.push(await reconcileCoupon(deps, couponId, { repair: input.repair }));
          for (const r of reports.filter((r) => r.verdict !== 'CONSISTENT'))
            log.warn({ report: r }, 'sale state drift');
          return { status: 200, body: { reports } };
        },
      },
    ],
  });
  return { handler, close: () => deps.close() };
}

function requireJobToken(expected: string | undefined, header: string | undefined): void {
  const given = Buffer.from(header?.replace(/^Bearer /i, '') ?? '');
  const want = Buffer.from(expected ?? '');
  if (expected === undefined || given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new AppError('UNAUTHENTICATED', 'This job needs its job token.');
  }
}
