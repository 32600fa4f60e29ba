import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, issueAccessToken, type KeyRing, loadKeyRing } from '@couponkill/auth';
import { createPool } from '@couponkill/db';
import { isAppError } from '@couponkill/errors';
import { decodeEvent, fromKafkaMessage, grabAccepted, type ReceivedKafkaRecord } from '@couponkill/events';
import { endpoints, uniqueName } from '@couponkill/testkit';
import fc from 'fast-check';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionProcess, startFunction } from '@couponkill/dev/functions';
import { CONTRACTS } from '@couponkill/openapi';
import {
  fiveHundreds,
  formatStatuses,
  type FuzzTally,
  type FuzzTarget,
  fuzzRuns,
  malformedRequests,
  sendAll,
} from '../src/fuzz.js';
import { fireGrabs } from '../src/grab-load.js';
import { checkInvariants } from '../src/invariants.js';
import { pressingUsers, settle } from '../src/sale-load.js';
import { SaleRig } from '../src/sale-rig.js';

// Every route of every function and every event type the consumers accept, fed FUZZ_RUNS
// malformed inputs each through real HTTP servers on real Redis, MariaDB and Kafka; then a
// normal sale through the grab path, checked by the invariants.
const ISSUER = 'https://auth.couponkill.test';
const JOB_TOKEN = 'fuzz-job-token-0123456789abcdefghijklmnop';
const RUNS = fuzzRuns();
const SEED = Number(process.env['FUZZ_SEED'] ?? 20301111);
const CONCURRENCY = 32;

/** Each function's body cap, as its app.ts sets it. */
const MAX_BODY: Record<string, number> = {
  'user-auth': 8 * 1024,
  'user-lookup': 1024,
  'coupon-admin': 64 * 1024,
  'grab-coupon': 1024,
  'grab-result': 1024,
  orders: 4096,
  'create-order': 16 * 1024,
  audit: 64 * 1024,
};

describe('fuzz: malformed input on every route and event type', () => {
  const rig = new SaleRig(endpoints());
  const userPrefix = uniqueName('ck_fz_users');
  const userSharding = {
    indexDatabase: `${userPrefix}_index`,
    shards: [{ database: `${userPrefix}_0` }, { database: `${userPrefix}_1` }],
  };
  const urls = new Map<string, string>();
  const processes: FunctionProcess[] = [];
  const totals: Array<{ name: string; tally: FuzzTally }> = [];
  let tokens: FuzzTarget['tokens'];
  let couponId = '';
  let adminCouponId = '';
  let userId = '';

  beforeAll(async () => {
    await rig.start();
    const { mysqlUrl, redisUrl, kafkaBrokers } = rig.endpoints;
    const dir = mkdtempSync(join(tmpdir(), 'ck-fuzz-'));
    const configFile = join(dir, 'fuzz.yaml');
    // Fuzzing is about answers to any input, not about lockout: its thousands of failed logins
    // from 127.0.0.1 must not lock that address for the other tests sharing this Redis.
    writeFileSync(
      configFile,
      JSON.stringify({
        userSharding,
        orderSharding: rig.ordersSharding,
        lockout: { maxFailuresPerIp: 1_000_000, maxFailuresPerUser: 1_000_000, lockSeconds: 1 },
      }),
    );
    const common = {
      MYSQL_URL: mysqlUrl,
      REDIS_URL: redisUrl,
      CONFIG_FILE: configFile,
      COUPONS_DATABASE: rig.couponsDb,
      AUTH_ISSUER: ISSUER,
      AUTH_JWKS_URL: rig.jwksUrl,
      LOG_LEVEL: 'warn',
    };
    // Every function in a process of its own under the image host, as in a container: a crash
    // is a dead process, and the fuzzing client does not share an event loop with the servers.
    const envOf: Record<string, Record<string, string>> = {
      'user-auth': {
        ...common,
        MIGRATE_ON_START: 'true',
        AUTH_SIGNING_KEYS: JSON.stringify([await generateSigningKey('fuzz-auth', true)]),
      },
      'user-lookup': common,
      'coupon-admin': common,
      'grab-coupon': common,
      'grab-result': common,
      orders: { ...common, JOB_TOKEN },
      'create-order': common,
      audit: {
        ...common,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        GRAB_TOPIC: rig.topic,
        ORDER_WORKER_GROUP: `${rig.prefix}-create-order`,
        JOB_TOKEN,
      },
    };
    // user-auth creates the user databases user-lookup reads.
    processes.push(await startFunction('user-auth', { profile: rig.prefix, env: envOf['user-auth'] ?? {} }));
    processes.push(
      ...(await Promise.all(
        Object.entries(envOf)
          .filter(([name]) => name !== 'user-auth')
          .map(([name, env]) => startFunction(name, { profile: rig.prefix, env })),
      )),
    );
    for (const fn of processes) urls.set(fn.name, `http://127.0.0.1:${fn.port}`);

    const sign = (ring: KeyRing, roles: Array<'user' | 'admin'>, ttlSeconds = 3600) =>
      issueAccessToken(ring, { userId, roles }, { issuer: ISSUER, audience: 'couponkill', ttlSeconds }).then(
        (t) => t.token,
      );
    userId = ulid();
    // Same key id as the rig's key, another key: the signature is what fails, not the key lookup.
    const foreign = await loadKeyRing([await generateSigningKey('rig', true)]);
    tokens = {
      user: await sign(rig.keys, ['user']),
      admin: await sign(rig.keys, ['user', 'admin']),
      job: JOB_TOKEN,
      foreign: await sign(foreign, ['user', 'admin']),
      expired: await sign(rig.keys, ['user', 'admin'], -3600),
    };
    couponId = (await rig.coupon({ totalStock: 1000, perUserLimit: 2 })).id;
    // coupon-admin's routes get a coupon of their own: a well-formed change there is allowed.
    adminCouponId = (await rig.coupon({ totalStock: 10, perUserLimit: 1 })).id;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((fn) => fn.process.stop()));
    await rig.stop();
    const server = createPool({ url: rig.endpoints.mysqlUrl, connectionLimit: 1 });
    for (const db of [userSharding.indexDatabase, ...userSharding.shards.map((s) => s.database)]) {
      await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
    }
    await server.end();
  });

  /** A well-formed id for the route's `:id`: the caller's own user id, an order id, the coupon. */
  const idFor = (path: string) =>
    path.startsWith('/api/v1/users/')
      ? userId
      : path.startsWith('/api/v1/orders/')
        ? ulid()
        : path.endsWith('/grab')
          ? couponId
          : adminCouponId;

  const routes = Object.entries(CONTRACTS).flatMap(([fn, contracts]) =>
    contracts.map((contract) => ({
      fn,
      contract,
      otherMethods: contracts.filter((c) => c !== contract && c.path === contract.path).map((c) => c.method),
    })),
  );

  it.each(routes.map((r) => [`${r.contract.method} ${r.contract.path}`, r] as const))(
    '%s: no 5xx, only the JSON error shape, still serving',
    async (name, { fn, contract, otherMethods }) => {
      const base = urls.get(fn) ?? '';
      const target: FuzzTarget = {
        contract,
        otherMethods,
        tokens,
        maxBodyBytes: MAX_BODY[fn] ?? 1024,
        params: { id: idFor(contract.path), grabId: `${couponId}_${ulid()}` },
        ...(contract.auth === 'event'
          ? {
              headers: {
                'ce-specversion': '1.0',
                'ce-type': grabAccepted.type,
                'ce-id': ulid(),
                'ce-source': '/couponkill/outbox-relay',
              },
            }
          : {}),
      };
      const generating = performance.now();
      const inputs = fc.sample(malformedRequests(target), { numRuns: RUNS, seed: SEED });
      const generatedMs = performance.now() - generating;
      const tally = await sendAll(base, inputs, CONCURRENCY);
      totals.push({ name, tally });
      const line =
        `fuzz ${name}: ${tally.inputs} inputs, statuses ${formatStatuses(tally.statuses)}, ` +
        `5xx=${fiveHundreds(tally.statuses)} (generated in ${(generatedMs / 1000).toFixed(1)} s, sent in ${(tally.ms / 1000).toFixed(1)} s; ` +
        `faults ${formatStatuses(tally.faults)})`;
      console.info(line);
      if (tally.succeeded.length > 0) console.info(`  accepted anyway: ${tally.succeeded.slice(0, 5).join(' | ')}`);
      expect(tally.inputs).toBe(RUNS);
      expect(fiveHundreds(tally.statuses), line).toBe(0);
      expect(tally.offShape, line).toEqual([]);
      // Still serving, from the same process (the image host exits on a crash).
      expect((await fetch(`${base}/health/liveness`)).status).toBe(200);
      expect(processes.find((p) => p.name === fn)?.process.alive()).toBe(true);
    },
    120_000,
  );

  it(`event ${grabAccepted.type} from Kafka records: each refused with a 4xx code (or decoded, if valid by chance), nothing else thrown`, () => {
    const outcomes: Record<string, number> = {};
    const good = {
      ce_specversion: '1.0',
      ce_type: grabAccepted.type,
      ce_id: ulid(),
      ce_source: '/couponkill/outbox-relay',
      'content-type': 'application/json',
    };
    const data = { grabId: `${couponId}_${ulid()}`, couponId, userId, seq: 1, acceptedAt: Date.now() };
    const record = fc.oneof(
      // An attribute missing, of another version or type, or absurd.
      fc
        .tuple(
          fc.constantFrom(...Object.keys(good)),
          fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('0.3', 'text/plain', 'application/xml'))),
        )
        .map(([name, value]): ReceivedKafkaRecord => {
          const { [name as keyof typeof good]: _dropped, ...rest } = good;
          return {
            key: null,
            value: Buffer.from(JSON.stringify(data)),
            headers: value === null ? rest : { ...rest, [name]: value },
          };
        }),
      // Data of the wrong shape, huge, deep, with prototype keys, not JSON, not UTF-8, cut short.
      fc
        .oneof(
          fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
          fc
            .tuple(fc.constantFrom(...Object.keys(data)), fc.jsonValue({ maxDepth: 2 }))
            .map(([field, v]) =>
              Buffer.from(JSON.stringify({ ...data, [field]: v === undefined ? null : v, extra: 1 })),
            ),
          fc
            .constantFrom('__proto__', 'constructor', 'prototype')
            .map((k) => Buffer.from(`${JSON.stringify(data).slice(0, -1)},"${k}":{"admin":true}}`)),
          fc.integer({ min: 1, max: 40 }).map((cut) => Buffer.from(JSON.stringify(data).slice(0, cut))),
          fc.integer({ min: 10, max: 5000 }).map((d) => Buffer.from(`${'['.repeat(d)}${']'.repeat(d)}`)),
          fc.constantFrom(Buffer.from([0xff, 0xfe]), Buffer.from([0x7b, 0xc0, 0xaf, 0x7d]), Buffer.alloc(0)),
          fc
            .integer({ min: 1_000, max: 100_000 })
            .map((n) => Buffer.from(JSON.stringify({ ...data, grabId: 'g'.repeat(n) }))),
          fc
            .constantFrom('1e309', '-1', '0', '1001', '1.5', '9007199254740993', '"1"')
            .map((seq) => Buffer.from(JSON.stringify({ ...data, seq: 0 }).replace('"seq":0', `"seq":${seq}`))),
        )
        .map((value): ReceivedKafkaRecord => ({ key: null, value, headers: good })),
    );
    const records = fc.sample(record, { numRuns: RUNS, seed: SEED });
    const crashes: string[] = [];
    for (const r of records) {
      try {
        decodeEvent(grabAccepted, fromKafkaMessage(r));
        outcomes['accepted'] = (outcomes['accepted'] ?? 0) + 1;
      } catch (err) {
        if (isAppError(err) && err.status < 500) outcomes[err.code] = (outcomes[err.code] ?? 0) + 1;
        else crashes.push(String(err));
      }
    }
    const line = `fuzz event ${grabAccepted.type} (Kafka record): ${records.length} inputs, outcomes ${formatStatuses(outcomes)}, crashes=${crashes.length}`;
    console.info(line);
    expect(records).toHaveLength(RUNS);
    expect(crashes.slice(0, 5), line).toEqual([]);
  });

  it('afterwards: nothing was grabbed by the fuzz, and a normal sale ends with every invariant', async () => {
    const all = totals.reduce((sum, t) => sum + t.tally.inputs, 0);
    console.info(
      `fuzz total (seed ${SEED}): ${all} HTTP inputs over ${totals.length} routes, 5xx=${totals.reduce((s, t) => s + fiveHundreds(t.tally.statuses), 0)}`,
    );
    expect(await rig.sale.stockLeft(couponId)).toBe(1000);

    const coupon = await rig.coupon({ totalStock: 300, perUserLimit: 2 });
    const waves = await pressingUsers(rig, `fz${Date.now().toString(36)}`, 400, 2);
    const load = await fireGrabs(rig.grabUrl, coupon.id, waves, 64);
    await settle(rig, load.acceptedGrabIds);
    const report = await checkInvariants(
      { couponId: coupon.id, initialStock: 300, perUserLimit: 2, acceptedGrabIds: load.acceptedGrabIds },
      rig.orders,
      rig.sale,
    );
    console.info(`sale after the fuzz: statuses ${formatStatuses(load.statuses)}; ${report.line}`);
    expect(load.statuses[500] ?? 0).toBe(0);
    expect(load.acceptedGrabIds).toHaveLength(300);
    expect(report).toMatchObject({ oversell: 0, overLimit: 0, lost: 0, duplicate: 0, stranded: 0, orders: 300 });
  }, 120_000);
});
