import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rulesVersion } from '@couponkill/flow';
import { NacosConfig } from '@couponkill/nacos';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type FunctionProcess, startFunction } from '@couponkill/dev/functions';
import { stateDir } from '@couponkill/servers';
import { flood, type FloodStream } from '../src/flood.js';
import { checkInvariants } from '../src/invariants.js';
import { settle } from '../src/sale-load.js';
import { SaleRig } from '../src/sale-rig.js';

/** The sum of the function's Prometheus series matching `series` (0 when none exists yet). */
async function metric(url: string, series: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => series.test(l))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function redisClockMs(rig: SaleRig): Promise<number> {
  const [s, us] = await rig.redis.time();
  return Number(s) * 1000 + Number(us) / 1000;
}

function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length] as T;
}

// grab-coupon runs as a process of its own, as in a cluster; the rig's relay and order worker
// turn its accepted grabs into orders, so the invariants are checked end to end.
describe('flow control on the grab path', () => {
  const rig = new SaleRig(endpoints());
  const functions: FunctionProcess[] = [];
  beforeAll(async () => {
    await rig.start();
  }, 120_000);
  afterAll(async () => {
    for (const fn of functions) await fn.process.stop();
    await rig.stop();
  });

  it('a flood from one user, one address and on one coupon is admitted at the configured rates (±5 %), other users all get through', async () => {
    const rules = {
      perUser: { ratePerSecond: 10, burst: 20 },
      perIp: { ratePerSecond: 20, burst: 40 },
      perCoupon: { ratePerSecond: 50, burst: 100 },
      maxConcurrentGrabsPerInstance: 1000,
    };
    const rulesFile = join(stateDir(rig.prefix), 'flow-rules.yaml');
    writeFileSync(rulesFile, stringify(rules));
    const fn = await startFunction('grab-coupon', {
      profile: rig.prefix,
      // No Nacos: the rules come from the file.
      env: { ...rig.grabFunctionEnv(), FLOW_RULES_FILE: rulesFile, TRUSTED_PROXY_HOPS: '1', NACOS_SERVER_ADDR: '' },
    });
    functions.push(fn);
    const url = `http://127.0.0.1:${fn.port}`;

    // Stock and limits far above what the rates admit: only flow control refuses.
    const sale = { totalStock: 100_000, perUserLimit: 1000 };
    const [a, b, c] = await Promise.all([rig.coupon(sale), rig.coupon(sale), rig.coupon(sale)]);
    if (a === undefined || b === undefined || c === undefined) throw new Error('coupons not created');
    const tokens = (prefix: string, n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => rig.token(`${prefix}${String(i).padStart(3, '0')}`)));
    const floodUser = await rig.token('flood-user');
    const ipUsers = await tokens('ip-user-', 100);
    const couponUsers = (await tokens('coupon-user-', 200)).map((token, i) => ({
      token,
      ip: `10.4.${i >> 8}.${i & 255}`,
    }));
    const others = await tokens('other-', 10);

    const streams: Record<string, FloodStream> = {
      // One user hammering coupon A from one address.
      user: { couponId: a.id, concurrency: 4, next: () => ({ token: floodUser, ip: '10.1.0.1' }) },
      // One address (many users behind it) hammering coupon B.
      ip: { couponId: b.id, concurrency: 4, next: cycle(ipUsers.map((token) => ({ token, ip: '10.2.0.1' }))) },
      // Many users and addresses hammering coupon C.
      coupon: { couponId: c.id, concurrency: 8, next: cycle(couponUsers) },
    };
    // Everyone else: 10 people pressing about three times a second on A and B, each from an address of their own.
    others.forEach((token, i) => {
      streams[`other-${i}`] = {
        couponId: i % 2 === 0 ? a.id : b.id,
        concurrency: 1,
        pauseMs: 300,
        startAfterMs: Math.floor(Math.random() * 300),
        next: () => ({ token, ip: `10.3.0.${i}` }),
      };
    });

    const startedAt = await redisClockMs(rig);
    const tallies = await flood(url, streams, 6000);
    const floodMs = (await redisClockMs(rig)) - startedAt;

    // A bucket that starts full admits `burst` at once and then one grab per 1/rate s while the
    // demand lasts: burst + rate × (Redis time of the last admitted − of the first). The window
    // is taken from the grab records, written by the grab script with Redis TIME, so the client's
    // and the function's own delays do not enter it. The bursts hold two seconds of tokens: a
    // token is only lost when no request at all arrives for longer than the burst lasts, which
    // a shared two-core machine can otherwise cause by pausing a process for half a second.
    const buckets = { user: rules.perUser, ip: rules.perIp, coupon: rules.perCoupon };
    const floods = await Promise.all(
      (['user', 'ip', 'coupon'] as const).map(async (name) => {
        const tally = tallies[name];
        if (tally === undefined) throw new Error(name);
        const times = (await Promise.all(tally.acceptedGrabIds.map((id) => rig.sale.record(id)))).map(
          (r) => r?.acceptedAt ?? NaN,
        );
        const windowMs = Math.max(...times) - Math.min(...times);
        const bucket = buckets[name];
        const expected = bucket.burst + (bucket.ratePerSecond * windowMs) / 1000;
        const admitted = tally.acceptedGrabIds.length;
        return { name, bucket, tally, admitted, windowMs, expected, off: (admitted - expected) / expected };
      }),
    );
    const otherTallies = Object.entries(tallies)
      .filter(([name]) => name.startsWith('other-'))
      .map(([, t]) => t);
    const othersSent = otherTallies.reduce((n, t) => n + t.sent, 0);
    const othersAdmitted = otherTallies.reduce((n, t) => n + t.acceptedGrabIds.length, 0);
    const limited = Object.values(tallies).reduce((n, t) => n + (t.statuses[429] ?? 0), 0);
    const local = await metric(url, /^couponkill_flow_rejected_total\{.*decided="local"/);
    const dimensions = await Promise.all(
      (['user', 'ip', 'coupon'] as const).map((d) =>
        Promise.all([
          metric(url, new RegExp(`^couponkill_flow_rejected_total\\{dimension="${d}",decided="redis"`)),
          metric(url, new RegExp(`^couponkill_flow_rejected_total\\{dimension="${d}",decided="local"`)),
        ]),
      ),
    );

    // Every accepted grab becomes an order; the sale's invariants hold on all three coupons.
    const accepted = Object.values(tallies).flatMap((t) => t.acceptedGrabIds);
    await settle(rig, accepted);
    const reports = await Promise.all(
      [a, b, c].map((coupon) =>
        checkInvariants(
          {
            couponId: coupon.id,
            initialStock: sale.totalStock,
            perUserLimit: sale.perUserLimit,
            acceptedGrabIds: accepted.filter((id) => id.startsWith(coupon.id)),
          },
          rig.orders,
          rig.sale,
        ),
      ),
    );

    console.info(
      `flow flood ${(floodMs / 1000).toFixed(2)} s by the Redis clock: ` +
        floods
          .map(
            (f) =>
              `${f.name} ${f.bucket.ratePerSecond}/s burst ${f.bucket.burst} → ${f.admitted} of ${f.tally.sent} admitted in ` +
              `${(f.windowMs / 1000).toFixed(3)} s (expected ${f.expected.toFixed(1)}, ${f.off >= 0 ? '+' : ''}${(f.off * 100).toFixed(1)} %)`,
          )
          .join('; ') +
        `; other users ${othersAdmitted}/${othersSent} admitted; ${limited} × 429 (Retry-After ${[...new Set(Object.values(tallies).flatMap((t) => [...t.retryAfter]))].join(',')} s, ` +
        `${local} decided locally; user/ip/coupon refusals by Redis ${dimensions.map((d) => d[0]).join('/')}, locally ${dimensions.map((d) => d[1]).join('/')}); ` +
        `orders ${reports.reduce((n, r) => n + r.orders, 0)} for ${accepted.length} accepted; ${reports.map((r) => r.line).join(' | ')}`,
    );

    for (const f of floods) {
      expect(Math.abs(f.off), `${f.name}: ${f.admitted} vs ${f.expected.toFixed(1)}`).toBeLessThan(0.05);
      // It really was a flood: asked well above the rate, admitted over (nearly) the whole run.
      expect(f.tally.sent).toBeGreaterThan(1.2 * f.expected);
      expect(f.windowMs).toBeGreaterThan(0.8 * floodMs);
    }
    expect(othersSent).toBeGreaterThan(100);
    expect(othersAdmitted).toBe(othersSent);
    for (const t of Object.values(tallies)) {
      expect(Object.keys(t.statuses).every((s) => s === '202' || s === '429')).toBe(true);
      for (const retryAfter of t.retryAfter) expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(tallies['user']?.limitedBody).toEqual({
      error: { code: 'RATE_LIMITED', message: expect.any(String), requestId: expect.any(String) },
    });
    for (const [byRedis] of dimensions) expect(byRedis).toBeGreaterThan(0);
    expect(local).toBeGreaterThan(limited / 2); // most refusals never reached Redis
    for (const report of reports) {
      expect(report).toMatchObject({ oversell: 0, overLimit: 0, lost: 0, duplicate: 0, stranded: 0 });
    }
    expect(reports.reduce((n, r) => n + r.orders, 0)).toBe(accepted.length);
  }, 180_000);

  describe('rules from Nacos, changed live', () => {
    const namespace = uniqueName('ck-flow');
    const dataId = 'flow-rules.yaml';
    let nacos: NacosConfig;
    let url: string;
    let logFile: string;
    let couponId: string;
    const agent = new Agent({ connections: 16 });
    let probe = 0;

    /** One grab by a user (and address) never seen before, so only a coupon-wide rule can refuse it. */
    async function grabOnce(): Promise<{ status: number; at: number }> {
      const n = probe++;
      const token = await rig.token(`probe-${n}`);
      const response = await request(`${url}/api/v1/coupons/${couponId}/grab`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `10.9.${n >> 8}.${n & 255}` },
        dispatcher: agent,
      });
      await response.body.dump();
      return { status: response.statusCode, at: performance.now() };
    }

    /** Grabs back to back until one is answered `status`; the time of that answer. */
    async function grabUntil(status: number, timeoutMs: number): Promise<number> {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        const answer = await grabOnce();
        if (answer.status === status) return answer.at;
      }
      throw new Error(`no ${status} within ${timeoutMs} ms`);
    }

    const inForce = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return /couponkill_flow_rules_info\{source="(\w+)",version="(\w+)"/.exec(text)?.slice(1, 3);
    };

    beforeAll(async () => {
      const { serverAddr, username, password } = endpoints().nacos;
      nacos = await NacosConfig.connect({ serverAddr, username, password, namespace });
      await nacos.publish(dataId, 'maxConcurrentGrabsPerInstance: 500\n');
      const fn = await startFunction('grab-coupon', {
        profile: rig.prefix,
        env: {
          ...rig.grabFunctionEnv(),
          LOG_LEVEL: 'info',
          TRUSTED_PROXY_HOPS: '1',
          NACOS_SERVER_ADDR: serverAddr,
          NACOS_USERNAME: username,
          NACOS_PASSWORD: password,
          NACOS_NAMESPACE: namespace,
        },
      });
      functions.push(fn);
      url = `http://127.0.0.1:${fn.port}`;
      logFile = join(stateDir(rig.prefix, 'functions'), 'grab-coupon.log');
      couponId = (await rig.coupon({ totalStock: 100_000, perUserLimit: 10 })).id;
    }, 120_000);
    afterAll(async () => {
      await nacos.remove(dataId).catch(() => undefined);
      nacos.close();
      await agent.close();
    });

    it('starts on the Nacos document, and a rule published for one coupon is enforced within 2 s', async () => {
      expect(await inForce()).toEqual(['nacos', rulesVersion('maxConcurrentGrabsPerInstance: 500\n')]);
      for (let i = 0; i < 20; i++) expect((await grabOnce()).status).toBe(202);

      const rule = `maxConcurrentGrabsPerInstance: 500\ncoupons:\n  ${couponId}:\n    perCoupon: { ratePerSecond: 2, burst: 1 }\n`;
      const published = performance.now();
      await nacos.publish(dataId, rule);
      const enforcedAt = await grabUntil(429, 5000);
      const delayMs = enforcedAt - published;
      console.info(
        `nacos rule change enforced by the running grab function ${delayMs.toFixed(0)} ms after publishing (first 429 answer)`,
      );
      expect(delayMs).toBeLessThan(2000);
      expect(await inForce()).toEqual(['nacos', rulesVersion(rule)]);
    });

    it('rejects and logs an invalid document; the previous rule stays in force', async () => {
      const before = await inForce();
      const rejectedBefore = await metric(url, /^couponkill_flow_rules_rejected_total\{source="nacos"/);
      await nacos.publish(dataId, `perUser: { ratePerSecond: fast }\ncoupons:\n  ${couponId}: {}\n`);
      const deadline = performance.now() + 2000;
      while ((await metric(url, /^couponkill_flow_rules_rejected_total\{source="nacos"/)) === rejectedBefore) {
        if (performance.now() > deadline) throw new Error('the invalid document was not rejected within 2 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      const rejection = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('flow rules rejected'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .at(-1);
      console.info(`rejection logged: ${JSON.stringify(rejection)}`);
      expect(rejection).toMatchObject({
        level: 'error',
        source: 'nacos',
        inForce: { source: 'nacos', version: before?.[1] },
      });
      expect(String(rejection?.['reason'])).toContain('perUser.ratePerSecond');
      expect(await inForce()).toEqual(before);

      // Still 2/s with a burst of 1 on this coupon: of 6 grabs at once, one is admitted.
      await new Promise((r) => setTimeout(r, 600)); // the bucket refills its one token
      const statuses = (await Promise.all(Array.from({ length: 6 }, () => grabOnce()))).map((a) => a.status).sort();
      expect(statuses).toEqual([202, 429, 429, 429, 429, 429]);
    });

    it('goes back to the base rules when the document is removed', async () => {
      const removed = performance.now();
      await nacos.remove(dataId);
      while ((await inForce())?.[0] !== 'embedded') {
        if (performance.now() - removed > 2000) throw new Error('the removal was not applied within 2 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      console.info(
        `nacos document removed: embedded rules in force after ${(performance.now() - removed).toFixed(0)} ms`,
      );
      const statuses = (await Promise.all(Array.from({ length: 6 }, () => grabOnce()))).map((a) => a.status);
      expect(statuses).toEqual(Array(6).fill(202));
    });
  });
});
