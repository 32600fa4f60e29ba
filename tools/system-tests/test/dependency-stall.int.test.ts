import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { generateSigningKey } from '@couponkill/auth';
import { CouponStore } from '@couponkill/coupons';
import { createKafka, ensureTopics, TOPICS } from '@couponkill/events';
import { createAudit } from '@couponkill/fn-audit/app';
import { loadAuditConfig } from '@couponkill/fn-audit/config';
import { createCouponAdmin } from '@couponkill/fn-coupon-admin/app';
import { loadCouponAdminConfig } from '@couponkill/fn-coupon-admin/config';
import { createGrabResult } from '@couponkill/fn-grab-result/app';
import { loadGrabResultConfig } from '@couponkill/fn-grab-result/config';
import { createOrders } from '@couponkill/fn-orders/app';
import { loadOrdersConfig } from '@couponkill/fn-orders/config';
import { createUserAuth } from '@couponkill/fn-user-auth/app';
import { loadUserAuthConfig } from '@couponkill/fn-user-auth/config';
import { createUserLookup } from '@couponkill/fn-user-lookup/app';
import { loadUserLookupConfig } from '@couponkill/fn-user-lookup/config';
import type { FunctionApp } from '@couponkill/http';
import { OrderStore, orderShardingSchema } from '@couponkill/orders';
import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import { grabIdOf } from '@couponkill/sale';
import { callJson, type JsonReply, serve } from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, removeStateDir, startKafka, startMariadb, startRedis } from '@couponkill/servers';

// Every route that waits on a dependency answers 503 UNAVAILABLE with Retry-After while that
// dependency stalls, never 500, and serves again once it is back. The stalls are real: this
// file runs its own Redis and MariaDB and SIGSTOPs them (the shared servers of the other test
// files are never touched), and its own Kafka, which it stops.

// The functions log a warning for every 503 by design; keep this file's output to errors.
process.env['LOG_LEVEL'] ??= 'error';

const ISSUER = 'https://auth.couponkill.test';
const JOB_TOKEN = randomBytes(24).toString('base64url');
const PASSWORD = 'correct horse battery';

type Answer = JsonReply;

/** `callJson` with the caller's bearer token; a route that hangs fails here, not at the test timeout. */
const call = (base: string, method: string, path: string, { body, token }: { body?: unknown; token?: string } = {}) =>
  callJson(base, method, path, {
    body,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(20_000),
  });

/** Every answer is a 503 UNAVAILABLE with a Retry-After of whole seconds and a body that names nothing internal. */
function expectUnavailable(answers: readonly Answer[]): void {
  for (const answer of answers) {
    expect(answer).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE' } } });
    expect(answer.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(JSON.stringify(answer.body)).not.toMatch(/redis|mysql|maria|kafka|ECONN|timed out|127\.0\.0\.1/i);
  }
}

/** Retries `attempt` until it answers `status` (the dependency came back), failing after `ms`. */
async function until(attempt: () => Promise<Answer>, status: number, ms = 30_000): Promise<Answer> {
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await attempt();
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Whether every thread of `pid` is stopped (state T in /proc/<pid>/task/<tid>/stat). A SIGSTOP
 * stops a many-threaded server thread by thread, as each one next leaves the kernel: a query that
 * arrives meanwhile may still be answered.
 */
function allThreadsStopped(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).every((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat.charAt(stat.lastIndexOf(')') + 2); // the field after the command name
      return state === 'T';
    });
  } catch {
    return false; // not Linux, or a thread ended while we looked: ask again
  }
}

/** SIGSTOPs a server for the duration of `during`: it keeps its sockets but answers nothing. */
async function stalled<T>(server: RunningServer<unknown>, during: () => Promise<T>): Promise<T> {
  const pid = server.process?.pid;
  if (pid === undefined) throw new Error('this server was not started by the test');
  process.kill(pid, 'SIGSTOP');
  const deadline = Date.now() + 2000;
  while (!allThreadsStopped(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  try {
    return await during();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

const times = <T>(n: number, make: () => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: n }, make));

describe('a stalled dependency answers 503 with Retry-After on every route', () => {
  const profile = `stall-${process.pid}`;
  const running: Array<{ close(): Promise<void> }> = [];
  let redisServer: RunningServer<string>;
  let mariadb: RunningServer<string>;
  let redis: RedisClient;
  let auth: string;
  let lookup: string;
  let orders: string;
  let couponAdmin: string;
  let grabResult: string;
  let token: string;
  let userId: string;

  async function start(app: FunctionApp): Promise<string> {
    const served = await serve(app.handler);
    running.push({ close: served.close }, { close: () => app.close() });
    return served.url;
  }

  beforeAll(async () => {
    [redisServer, mariadb] = await Promise.all([startRedis({ profile }), startMariadb({ profile })]);
    redis = createRedis(redisOptionsSchema.parse({ url: redisServer.endpoint }), 'stall-test');
    const mysql = {
      MYSQL_URL: mariadb.endpoint,
      // Short bounds keep the test quick; the defaults are a few seconds.
      MYSQL_QUERY_TIMEOUT_MS: '1000',
      MYSQL_ACQUIRE_TIMEOUT_MS: '1000',
      MYSQL_CONNECT_TIMEOUT_MS: '1000',
    };
    const common = { ...mysql, REDIS_URL: redisServer.endpoint, AUTH_ISSUER: ISSUER };

    auth = await start(
      await createUserAuth(
        loadUserAuthConfig({
          ...common,
          MIGRATE_ON_START: 'true',
          AUTH_SIGNING_KEYS: JSON.stringify([await generateSigningKey('stall', true)]),
          TRUSTED_PROXY_HOPS: '0',
        }),
      ),
    );
    const verifier = { ...common, AUTH_JWKS_URL: `${auth}/.well-known/jwks.json` };
    lookup = await start(await createUserLookup(loadUserLookupConfig(verifier)));
    await OrderStore.migrate(mariadb.endpoint, orderShardingSchema.parse({}));
    orders = await start(await createOrders(loadOrdersConfig({ ...verifier, JOB_TOKEN })));
    // Deleting or preheating a coupon is not exercised here, so counting its orders is never asked for.
    couponAdmin = await start(
      await createCouponAdmin(loadCouponAdminConfig({ ...verifier, MIGRATE_ON_START: 'true' }), {
        countLiveOrders: async () => 0,
        countHeldOrders: async () => 0,
      }),
    );
    grabResult = await start(await createGrabResult(loadGrabResultConfig(verifier)));

    const registered = await call(auth, 'POST', '/api/v1/auth/register', {
      body: { username: 'stella', password: PASSWORD, email: 'stella@example.com' },
    });
    expect(registered.status).toBe(201);
    userId = registered.body?.['id'] as string;
    const login = await call(auth, 'POST', '/api/v1/auth/login', { body: { username: 'stella', password: PASSWORD } });
    expect(login.status).toBe(200);
    token = login.body?.['accessToken'] as string;
  }, 180_000);

  afterAll(async () => {
    for (const server of [redisServer, mariadb])
      if (server?.process !== undefined) process.kill(server.process.pid, 'SIGCONT');
    for (const closer of running.reverse()) await closer.close().catch(() => undefined);
    redis?.disconnect();
    await Promise.all([redisServer?.process?.stop(), mariadb?.process?.stop(30_000)]);
    removeStateDir(profile);
  }, 120_000);

  describe('Redis stalled (SIGSTOP)', () => {
    it('grab-result: polling a grab answers 503, and 404/200 again once Redis is back', async () => {
      const grabId = grabIdOf(ulid(), ulid());
      const poll = () => call(grabResult, 'GET', `/api/v1/grabs/${grabId}`, { token });
      expect((await poll()).status).toBe(404); // a well-formed id Redis holds nothing for
      const answers = await stalled(redisServer, () => times(10, poll));
      expectUnavailable(answers);
      expect((await until(poll, 404)).status).toBe(404);
    });

    it('user-lookup: the profile (read through the Redis cache) answers 503', async () => {
      const me = () => call(lookup, 'GET', '/api/v1/users/me', { token });
      expect((await me()).status).toBe(200);
      expectUnavailable(await stalled(redisServer, () => times(5, me)));
      expect((await until(me, 200)).status).toBe(200);
    });

    it('readiness answers 503 within its probe timeout instead of hanging', async () => {
      const ready = () => call(grabResult, 'GET', '/health/readiness');
      const answer = await stalled(redisServer, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1100)); // past the cached healthy result
        return ready();
      });
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ ready: false, checks: { redis: { ok: false } } });
      expect((await until(ready, 200)).status).toBe(200);
    });
  });

  describe('MySQL stalled (SIGSTOP of mariadbd)', () => {
    it('orders: listing answers 503 for every caller at once (bounded queue and timeouts), then 200', async () => {
      const list = () => call(orders, 'GET', '/api/v1/orders', { token });
      expect((await list()).status).toBe(200);
      // More callers than the pool has connections: some time out on a statement, the others
      // waiting for a connection.
      expectUnavailable(await stalled(mariadb, () => times(30, list)));
      expect((await until(list, 200)).status).toBe(200);
    });

    it('orders: the expiry job answers 503, so its scheduler retries', async () => {
      const expire = () => call(orders, 'POST', '/jobs/expire-orders', { token: JOB_TOKEN });
      expect((await expire()).status).toBe(200);
      expectUnavailable(await stalled(mariadb, () => times(2, expire)));
      expect((await until(expire, 200)).status).toBe(200);
    });

    it('coupon-admin: listing and reading coupons answer 503', async () => {
      const coupons = CouponStore.open(mariadb.endpoint, 'couponkill_coupons', 1);
      try {
        const coupon = await coupons.create({
          name: 'Stall 10 off',
          type: 'normal',
          faceValueCents: 1000,
          minSpendCents: 5000,
          validDays: 7,
          perUserLimit: 1,
          totalStock: 10,
          startAt: null,
          endAt: null,
          status: 'active',
        });
        const list = () => call(couponAdmin, 'GET', '/api/v1/coupons');
        const one = () => call(couponAdmin, 'GET', `/api/v1/coupons/${coupon.id}`);
        expect((await list()).status).toBe(200);
        expect((await one()).status).toBe(200);
        expectUnavailable(await stalled(mariadb, () => Promise.all([list(), one(), list(), one()])));
        expect((await until(one, 200)).status).toBe(200);
      } finally {
        await coupons.close();
      }
    });

    it('user-auth: login answers 503, then logs in again', async () => {
      const login = () =>
        call(auth, 'POST', '/api/v1/auth/login', { body: { username: 'stella', password: PASSWORD } });
      const wrong = () =>
        call(auth, 'POST', '/api/v1/auth/login', { body: { username: 'stella', password: 'not it at all' } });
      expectUnavailable(await stalled(mariadb, () => times(3, login)));
      expectUnavailable(await stalled(mariadb, () => times(3, wrong)));
      expect((await until(login, 200)).status).toBe(200);
      // Logins the stall answered were never judged: none of them counts as a failed attempt.
      const counters = await redis.keys('ck:{auth:*}:failures');
      const counts = await Promise.all(counters.map((key) => redis.get(key)));
      expect(counts.filter((n) => Number(n) > 0)).toEqual([]);
    });

    it('user-lookup: a profile not in the cache answers 503', async () => {
      const me = () => call(lookup, 'GET', '/api/v1/users/me', { token });
      await redis.del(`ck:user:${userId}`);
      expectUnavailable(await stalled(mariadb, () => times(3, me)));
      expect((await until(me, 200)).status).toBe(200);
    });

    it('readiness answers 503 instead of hanging', async () => {
      const ready = () => call(orders, 'GET', '/health/readiness');
      const answer = await stalled(mariadb, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1100));
        return ready();
      });
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ ready: false });
      expect((await until(ready, 200)).status).toBe(200);
    });
  });

  describe('Kafka down', () => {
    it('audit: the job, which waits on the consumer lag, answers 503', async () => {
      const kafkaProfile = `${profile}-kafka`;
      const kafka = await startKafka({ profile: kafkaProfile });
      let app: FunctionApp | undefined;
      try {
        const admin = createKafka({ brokers: kafka.endpoint, clientId: 'stall-test' }).admin();
        await admin.connect();
        await ensureTopics(admin, [{ topic: TOPICS.grabAccepted, partitions: 1 }]);
        await admin.disconnect();
        const coupons = CouponStore.open(mariadb.endpoint, 'couponkill_coupons', 1);
        const coupon = await coupons
          .create({
            name: 'Audit 5 off',
            type: 'normal',
            faceValueCents: 500,
            minSpendCents: 1000,
            validDays: 7,
            perUserLimit: 1,
            totalStock: 5,
            startAt: null,
            endAt: null,
            status: 'active',
          })
          .finally(() => coupons.close());
        app = await createAudit(
          loadAuditConfig({
            MYSQL_URL: mariadb.endpoint,
            REDIS_URL: redisServer.endpoint,
            KAFKA_BROKERS: kafka.endpoint.join(','),
            JOB_TOKEN,
          }),
        );
        const served = await serve(app.handler);
        running.push({ close: served.close });
        const job = () =>
          call(served.url, 'POST', '/jobs/audit', {
            token: JOB_TOKEN,
            body: { couponIds: [coupon.id], repair: false },
          });
        expect((await job()).status).toBe(200);
        await kafka.process?.stop(20_000);
        expectUnavailable([await job()]);
      } finally {
        await app?.close().catch(() => undefined);
        await kafka.process?.stop(20_000);
        removeStateDir(kafkaProfile);
      }
    }, 120_000);
  });
});
