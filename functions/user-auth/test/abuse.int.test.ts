import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '@couponkill/auth';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { createPool } from '@couponkill/db';
import type { FunctionApp } from '@couponkill/http';
import { endpoints, serveApp, type ServedApp, uniqueName } from '@couponkill/testkit';
import { UserStore } from '@couponkill/users';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserAuth } from '../src/app.js';
import { loadUserAuthConfig } from '../src/config.js';

// user-auth over HTTP against real MariaDB and Redis: what an attacker can do with many requests
// at once — parallel password guesses, registration floods — and the password cost over time.
const prefix = uniqueName('ck_abuse');
const sharding = { indexDatabase: `${prefix}_index`, shards: [{ database: `${prefix}_0` }] };
const password = 'correct horse battery';

type Running = ServedApp<FunctionApp>;
const running: Running[] = [];

/** A user-auth instance with `settings` in its config file; one client address per X-Forwarded-For. */
async function start(settings: Record<string, unknown>, redisUrl = endpoints().redisUrl): Promise<Running> {
  const configFile = join(mkdtempSync(join(tmpdir(), 'ck-user-auth-')), 'user-auth.yaml');
  writeFileSync(configFile, JSON.stringify({ userSharding: sharding, ...settings }));
  const app = await createUserAuth(
    loadUserAuthConfig({
      MYSQL_URL: endpoints().mysqlUrl,
      REDIS_URL: redisUrl,
      CONFIG_FILE: configFile,
      MIGRATE_ON_START: 'true',
      AUTH_SIGNING_KEYS: JSON.stringify([await generateSigningKey('key-a', true)]),
      TRUSTED_PROXY_HOPS: '1',
    }),
  );
  const served = await serveApp(app);
  running.push(served);
  return served;
}

// Lockouts and buckets outlive a run in Redis; each run speaks from addresses of its own (the
// documentation IPv4 addresses below, moved into a per-run IPv6 documentation prefix).
const RUN = randomBytes(2).toString('hex');
const addressOf = (ip: string) => `2001:db8:${RUN}::${ip.replaceAll('.', ':')}`;

async function post(base: string, path: string, body: unknown, ip: string) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': addressOf(ip) },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: json.error?.code, retryAfter: response.headers.get('retry-after') };
}

const register = (base: string, username: string, ip: string) =>
  post(base, '/api/v1/auth/register', { username, password, email: `${username}@example.com` }, ip);
const login = (base: string, username: string, pw: string, ip: string) =>
  post(base, '/api/v1/auth/login', { username, password: pw }, ip);

const roomy = { perIp: { ratePerSecond: 1000, burst: 1000 }, global: { ratePerSecond: 1000, burst: 1000 } };

afterAll(async () => {
  for (const s of running.splice(0)) {
    await s.close();
    await s.app.close();
  }
  const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
  for (const db of [sharding.indexDatabase, ...sharding.shards.map((s) => s.database)])
    await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await server.end();
});

describe('login lockout under parallel guesses', () => {
  let auth: Running;
  beforeAll(async () => {
    auth = await start({
      lockout: { maxFailuresPerUser: 5, maxFailuresPerIp: 1000, lockSeconds: 60, windowSeconds: 60 },
      passwordHashing: { logN: 12 },
      registerLimits: roomy,
    });
  });

  it('checks at most the limit of guesses for one username, however many arrive at once', async () => {
    expect((await register(auth.url, 'victim', '198.51.100.1')).status).toBe(201);
    // 40 guesses from 40 addresses at the same moment: all of them would pass a check made
    // before any failure is recorded.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(auth.url, 'victim', `guess-${i}`, `203.0.113.${i + 1}`)),
    );
    const checked = answers.filter((a) => a.status === 401);
    const locked = answers.filter((a) => a.status === 429);
    expect(checked.length).toBeLessThanOrEqual(5);
    expect(checked.length + locked.length).toBe(40);
    expect(locked.every((a) => a.code === 'LOGIN_LOCKED' && Number(a.retryAfter) > 0)).toBe(true);
    // The right password is refused too while the name is locked.
    expect((await login(auth.url, 'victim', password, '198.51.100.1')).status).toBe(429);
  });

  it('caps parallel guesses from one address the same way', async () => {
    const perIp = await start({
      lockout: { maxFailuresPerUser: 1000, maxFailuresPerIp: 3, lockSeconds: 60, windowSeconds: 60 },
      passwordHashing: { logN: 12 },
      registerLimits: roomy,
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(perIp.url, `someone_${i}`, 'guess', '192.0.2.77')),
    );
    expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(3);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(17);
  });

  it('gives a successful login its attempt back, so an address with many users is not locked by them', async () => {
    const shared = await start({
      lockout: { maxFailuresPerUser: 5, maxFailuresPerIp: 2, lockSeconds: 60, windowSeconds: 60 },
      passwordHashing: { logN: 12 },
      registerLimits: roomy,
    });
    expect((await register(shared.url, 'office_user', '192.0.2.200')).status).toBe(201);
    for (let i = 0; i < 5; i++)
      expect((await login(shared.url, 'office_user', password, '192.0.2.201')).status).toBe(200);
  });
});

describe('registration rate limits', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the per-address bucket, before any 409', async () => {
    const auth = await start({
      passwordHashing: { logN: 12 },
      registerLimits: { perIp: { ratePerSecond: 0.01, burst: 3 }, global: { ratePerSecond: 1000, burst: 1000 } },
    });
    const ip = '198.51.100.50';
    expect((await register(auth.url, 'taken_name', ip)).status).toBe(201);
    expect((await register(auth.url, 'taken_name', ip)).status).toBe(409);
    expect((await register(auth.url, 'taken_name', ip)).status).toBe(409);
    const limited = await register(auth.url, 'taken_name', ip);
    expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    // Another address has its own bucket.
    expect((await register(auth.url, 'other_name', '198.51.100.51')).status).toBe(201);
  });

  it('limits every address together with the global bucket', async () => {
    // The global bucket is one key shared by every instance: a Redis database of its own keeps
    // this slow one away from the other tests' buckets. Emptied first: a run against the same
    // Redis minutes ago left the bucket drained (it refills at 0.01/s).
    const db9 = `${endpoints().redisUrl.replace(/\/\d*$/, '')}/9`;
    const own = createRedis(redisOptionsSchema.parse({ url: db9 }), 'abuse-test');
    await own.flushdb();
    own.disconnect();
    const auth = await start(
      {
        passwordHashing: { logN: 12 },
        registerLimits: { perIp: { ratePerSecond: 1000, burst: 1000 }, global: { ratePerSecond: 0.01, burst: 4 } },
      },
      db9,
    );
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await register(auth.url, `flood_${i}`, `192.0.2.${i + 1}`));
    expect(answers.slice(0, 4).every((a) => a.status === 201)).toBe(true);
    expect(answers.slice(4).every((a) => a.status === 429 && a.code === 'RATE_LIMITED')).toBe(true);
  });
});

describe('password cost', () => {
  it('rehashes a cheaper stored hash at the next successful login, and never on a failed one', async () => {
    const cheap = await start({ passwordHashing: { logN: 11 }, registerLimits: roomy });
    expect((await register(cheap.url, 'old_timer', '198.51.100.90')).status).toBe(201);
    const users = UserStore.open(endpoints().mysqlUrl, sharding, 1);
    try {
      const before = (await users.findByUsername('old_timer'))?.passwordHash;
      expect(before).toMatch(/^scrypt\$2048\$8\$1\$/);

      const raised = await start({ passwordHashing: { logN: 12 }, registerLimits: roomy });
      expect((await login(raised.url, 'old_timer', 'wrong password', '198.51.100.91')).status).toBe(401);
      expect((await users.findByUsername('old_timer'))?.passwordHash).toBe(before);

      expect((await login(raised.url, 'old_timer', password, '198.51.100.91')).status).toBe(200);
      const after = (await users.findByUsername('old_timer'))?.passwordHash;
      expect(after).toMatch(/^scrypt\$4096\$8\$1\$/);
      // The new hash verifies the same password, at both costs' instances.
      expect((await login(raised.url, 'old_timer', password, '198.51.100.91')).status).toBe(200);
      expect((await login(cheap.url, 'old_timer', password, '198.51.100.91')).status).toBe(200);
      expect((await users.findByUsername('old_timer'))?.passwordHash).toBe(after);
    } finally {
      await users.close();
    }
  });
});
