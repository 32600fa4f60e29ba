import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, type RunningServer, startRedis } from '@couponkill/servers';
import { checkInvariants } from '../src/invariants.js';
import { settle } from '../src/sale-load.js';
import { SaleRig } from '../src/sale-rig.js';

// The operator's experiment, as a test: Redis stalls for four seconds in the middle of a sale.
// Every answer must agree with the books afterwards: a 202 became its order; a 503 carries
// Retry-After and took nothing; a 500 never happens.
describe('a Redis stall mid-sale', () => {
  const profile = uniqueName('redis-stall');
  let redisServer: RunningServer<string>;

  beforeAll(async () => {
    redisServer = await startRedis({ profile });
  }, 60_000);
  afterAll(async () => {
    await redisServer.process?.stop();
    removeStateDir(profile);
  });

  it('answers 202 (and the order exists) or 503 with Retry-After (and nothing was taken), never 500', async () => {
    const rig = await new SaleRig({ ...endpoints(), redisUrl: redisServer.endpoint }).start();
    const admin = createRedis(redisOptionsSchema.parse({ url: redisServer.endpoint }), 'stall-admin');
    const agent = new Agent({ connections: 64 });
    try {
      // More stock than grabs: every grab is decided by Redis (none answered SOLD_OUT from memory).
      const stock = 3000;
      const users = 1500;
      const coupon = await rig.coupon({ totalStock: stock, perUserLimit: 1 });
      const tokens = await Promise.all(Array.from({ length: users }, (_, i) => rig.token(`stall${i}`)));
      const answers: Array<{
        status: number;
        ms: number;
        retryAfter: string | undefined;
        grabId?: string;
        code?: string;
      }> = [];
      const grab = async (token: string) => {
        const started = Date.now();
        const response = await request(`${rig.grabUrl}/api/v1/coupons/${coupon.id}/grab`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          dispatcher: agent,
        });
        const body = (await response.body.json()) as { grabId?: string; error?: { code: string } };
        const retryAfter = response.headers['retry-after'];
        answers.push({
          status: response.statusCode,
          ms: Date.now() - started,
          retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
          ...(body.grabId === undefined ? {} : { grabId: body.grabId }),
          ...(body.error === undefined ? {} : { code: body.error.code }),
        });
      };
      // 64 at a time; the stall starts once the sale is under way.
      let next = 0;
      const worker = async () => {
        while (next < tokens.length) await grab(tokens[next++] as string);
      };
      const load = Promise.all(Array.from({ length: 64 }, worker));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await admin.client('PAUSE', 4000, 'ALL');
      await load;

      const accepted = answers.filter((a) => a.status === 202).map((a) => a.grabId as string);
      await settle(rig, accepted);
      const report = await checkInvariants(
        { couponId: coupon.id, initialStock: stock, perUserLimit: 1, acceptedGrabIds: accepted },
        rig.orders,
        rig.sale,
      );
      const byStatus = answers.reduce<Record<string, number>>(
        (acc, a) => ({
          ...acc,
          [`${a.status} ${a.code ?? ''}`.trim()]: (acc[`${a.status} ${a.code ?? ''}`.trim()] ?? 0) + 1,
        }),
        {},
      );
      const stalled = answers.filter((a) => a.ms >= 1000).length;
      console.info(`redis stall: ${JSON.stringify(byStatus)}, ${stalled} answered after ≥ 1 s; ${report.line}`);
      expect(answers).toHaveLength(users);
      // The stall did hit requests in flight (otherwise this test proves nothing).
      expect(stalled).toBeGreaterThan(0);
      expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
      expect(answers.filter((a) => a.status === 503 && a.retryAfter === undefined)).toEqual([]);
      expect(report).toMatchObject({ oversell: 0, overLimit: 0, lost: 0, duplicate: 0, stranded: 0 });
      // Nothing taken behind a 503: every order belongs to a 202, one each.
      const orders = await rig.orders.allForCoupon(coupon.id);
      expect(new Set(orders.map((o) => o.grabId))).toEqual(new Set(accepted));
    } finally {
      admin.disconnect();
      await agent.close();
      await rig.stop();
    }
  }, 180_000);
});
