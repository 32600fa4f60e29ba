import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, type SigningKeyConfig } from '@couponkill/auth';
import { createPool } from '@couponkill/db';
import { createUserLookup } from '@couponkill/fn-user-lookup/app';
import { loadUserLookupConfig } from '@couponkill/fn-user-lookup/config';
import { callJson, endpoints, serveApp, type ServedApp, uniqueName } from '@couponkill/testkit';
import { UserStore } from '@couponkill/users';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from '../src/admin.js';
import { createUserAuth } from '../src/app.js';
import { loadUserAuthConfig } from '../src/config.js';

// user-auth and user-lookup served over HTTP against real MariaDB and Redis, as the ingress sees them.
const ISSUER = 'https://auth.couponkill.test';
const prefix = uniqueName('ck_users');
const sharding = {
  indexDatabase: `${prefix}_index`,
  shards: [{ database: `${prefix}_0` }, { database: `${prefix}_1` }],
};
const configFile = join(mkdtempSync(join(tmpdir(), 'ck-user-auth-')), 'user-auth.yaml');
writeFileSync(
  configFile,
  JSON.stringify({
    userSharding: sharding,
    lockout: { maxFailuresPerUser: 3, maxFailuresPerIp: 1000, lockSeconds: 2, windowSeconds: 60 },
    // A low cost keeps the file quick; the production default is tested in shared/users.
    passwordHashing: { logN: 12 },
    // Every registration here comes from 127.0.0.1; the limits have their own test file.
    registerLimits: { perIp: { ratePerSecond: 1000, burst: 1000 }, global: { ratePerSecond: 1000, burst: 1000 } },
  }),
);

const running: ServedApp[] = [];

async function startAuth(keys: SigningKeyConfig[], extraEnv: Record<string, string> = {}): Promise<ServedApp> {
  const env = {
    ...extraEnv,
    MYSQL_URL: endpoints().mysqlUrl,
    REDIS_URL: endpoints().redisUrl,
    CONFIG_FILE: configFile,
    MIGRATE_ON_START: 'true',
    AUTH_ISSUER: ISSUER,
    AUTH_SIGNING_KEYS: JSON.stringify(keys),
    TRUSTED_PROXY_HOPS: '0',
  };
  const app = await createUserAuth(loadUserAuthConfig(env));
  const served = await serveApp(app);
  running.push(served);
  return served;
}

async function startLookup(auth: ServedApp): Promise<ServedApp> {
  const env = {
    MYSQL_URL: endpoints().mysqlUrl,
    REDIS_URL: endpoints().redisUrl,
    CONFIG_FILE: configFile,
    AUTH_ISSUER: ISSUER,
    AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
  };
  const app = await createUserLookup(loadUserLookupConfig(env));
  const served = await serveApp(app);
  running.push(served);
  return served;
}

const password = 'correct horse battery';

describe('identity: register, login, lookup', () => {
  let keyA: SigningKeyConfig;
  let keyB: SigningKeyConfig;
  let auth: ServedApp;
  let lookup: ServedApp;

  beforeAll(async () => {
    keyA = await generateSigningKey('key-a', true);
    keyB = await generateSigningKey('key-b');
    auth = await startAuth([keyA, keyB]);
    lookup = await startLookup(auth);
  });
  afterAll(async () => {
    for (const s of running.splice(0)) {
      await s.close();
      await s.app.close();
    }
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    for (const db of [sharding.indexDatabase, ...sharding.shards.map((s) => s.database)]) {
      await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
    }
    await server.end();
  });

  // The lockout counts failures per client address in the shared Redis, where other test files'
  // failed logins also count (from 127.0.0.1, and abuse.int.test.ts locks addresses of the
  // documentation ranges on purpose): this file's logins come from an address of its own, in a
  // private range no other test uses (through the one trusted proxy hop, as behind the ingress).
  const address = `10.${randomInt(64, 128)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const login = (username: string, pw = password, base = auth.url) =>
    callJson(base, 'POST', '/api/v1/auth/login', {
      body: { username, password: pw },
      headers: { 'x-forwarded-for': address },
    });

  it('registers, logs in and looks the user up with the token; never returns a password hash', async () => {
    const registered = await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: {
        username: 'Alice_1',
        password,
        email: 'alice@example.com',
      },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ username: 'alice_1', email: 'alice@example.com', roles: ['user'] });
    const id = registered.body?.['id'] as string;

    const loggedIn = await login('alice_1');
    expect(loggedIn.status).toBe(200);
    expect(loggedIn.body).toMatchObject({ tokenType: 'Bearer', userId: id, roles: ['user'] });
    const bearer = { authorization: `Bearer ${loggedIn.body?.['accessToken'] as string}` };

    const me = await callJson(lookup.url, 'GET', '/api/v1/users/me', { headers: bearer });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id, username: 'alice_1' });
    expect(JSON.stringify(me.body)).not.toMatch(/password|scrypt/i);
    expect((await callJson(lookup.url, 'GET', `/api/v1/users/${id}`, { headers: bearer })).status).toBe(200);
  });

  it('answers a taken username with 409 ALREADY_EXISTS, whatever its case', async () => {
    await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: 'bob', password, phone: '+8613800000001' },
    });
    const again = await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: {
        username: 'BOB',
        password,
        email: 'b@example.com',
      },
    });
    expect(again.status).toBe(409);
    expect(again.body?.['error']).toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('lists every invalid field of a registration', async () => {
    const bad = await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: {
        username: 'x',
        password: 'short',
        phone: '12',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body?.['error']?.code).toBe('VALIDATION_FAILED');
    const fields = (bad.body?.['error']?.fields as Array<{ field: string }>).map((f) => f.field).sort();
    expect(fields).toEqual(['body.password', 'body.phone', 'body.username']);
  });

  it('answers a wrong password and an unknown user identically', async () => {
    await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: 'carol', password, email: 'c@example.com' },
    });
    const timed = async (username: string) => {
      const t0 = performance.now();
      const r = await login(username, 'not the password');
      return {
        ms: performance.now() - t0,
        status: r.status,
        error: { ...(r.body?.['error'] as object), requestId: undefined },
      };
    };
    const wrongPassword = await timed('carol');
    const unknownUser = await timed('nobody_here');
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser).toMatchObject({ status: wrongPassword.status, error: wrongPassword.error });
    expect(wrongPassword.error).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    console.info(
      `login failure: wrong password ${wrongPassword.ms.toFixed(0)} ms, unknown user ${unknownUser.ms.toFixed(0)} ms`,
    );
    // Both paths run one scrypt; neither is an order of magnitude cheaper.
    expect(unknownUser.ms / wrongPassword.ms).toBeGreaterThan(0.33);
    expect(unknownUser.ms / wrongPassword.ms).toBeLessThan(3);
  });

  it('locks a username after repeated failures, even for the right password, and unlocks after the lock expires', async () => {
    await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: 'dave', password, email: 'd@example.com' },
    });
    for (let i = 0; i < 3; i++) expect((await login('dave', 'guess')).status).toBe(401);
    const locked = await login('dave');
    expect(locked.status).toBe(429);
    expect(locked.body?.['error']?.code).toBe('LOGIN_LOCKED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // An unknown username locks the same way, so locking reveals nothing about existence.
    for (let i = 0; i < 3; i++) await login('ghost_user', 'guess');
    expect((await login('ghost_user', 'guess')).body?.['error']?.code).toBe('LOGIN_LOCKED');
    await new Promise((r) => setTimeout(r, 2200));
    expect((await login('dave')).status).toBe(200);
  });

  it('refuses every bad token with 401 and a JSON error', async () => {
    await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: 'erin', password, email: 'e@example.com' },
    });
    const good = (await login('erin')).body?.['accessToken'] as string;
    const [h, p, s] = good.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const stranger = await generateSigningKey('key-a', true); // same kid, different key
    const strangerAuth = await startAuth([stranger]);
    const strangerToken = (await login('erin', password, strangerAuth.url)).body?.['accessToken'] as string;
    const now = Math.floor(Date.now() / 1000);

    const matrix: Array<[string, Record<string, string>, string?]> = [
      ['missing', {}],
      ['malformed', { authorization: 'Bearer abc.def' }],
      ['alg none', { authorization: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.` }],
      [
        'HS256 with the public key',
        { authorization: `Bearer ${b64({ alg: 'HS256', kid: 'key-a', typ: 'JWT' })}.${p}.${s}` },
      ],
      ['wrong issuer', { authorization: `Bearer ${h}.${b64({ ...payload, iss: 'https://evil.example' })}.${s}` }],
      ['wrong audience', { authorization: `Bearer ${h}.${b64({ ...payload, aud: 'other' })}.${s}` }],
      ['expired', { authorization: `Bearer ${h}.${b64({ ...payload, exp: now - 3600 })}.${s}` }],
      ['not yet valid', { authorization: `Bearer ${h}.${b64({ ...payload, nbf: now + 3600 })}.${s}` }],
      ['unknown kid', { authorization: `Bearer ${b64({ alg: 'ES256', kid: 'key-zzz', typ: 'JWT' })}.${p}.${s}` }],
      ['signed by a key that is not ours', { authorization: `Bearer ${strangerToken}` }],
      ['tampered roles', { authorization: `Bearer ${h}.${b64({ ...payload, roles: ['user', 'admin'] })}.${s}` }],
      ['token in the query string only', {}, `?access_token=${good}`],
      ['token in a cookie only', { cookie: `access_token=${good}; token=${good}` }],
      ['identity header only', { 'x-user-id': payload['sub'] as string }],
    ];
    for (const [name, headers, query] of matrix) {
      const response = await callJson(lookup.url, 'GET', `/api/v1/users/me${query ?? ''}`, { headers });
      expect.soft(response.status, name).toBe(401);
      expect.soft(response.body?.['error']?.code, name).toBe('UNAUTHENTICATED');
    }
    expect(
      (await callJson(lookup.url, 'GET', '/api/v1/users/me', { headers: { authorization: `Bearer ${good}` } })).status,
    ).toBe(200);
  });

  it('hides other users (404) from a user, answers 403 on an admin route, and serves an admin', async () => {
    const frank = await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: {
        username: 'frank',
        password,
        email: 'f@example.com',
      },
    });
    const grace = await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: {
        username: 'grace',
        password,
        email: 'g@example.com',
      },
    });
    const asFrank = { authorization: `Bearer ${(await login('frank')).body?.['accessToken'] as string}` };
    const graceId = grace.body?.['id'] as string;
    expect((await callJson(lookup.url, 'GET', `/api/v1/users/${graceId}`, { headers: asFrank })).status).toBe(404);
    expect(
      (await callJson(lookup.url, 'GET', `/api/v1/users/01JUNKNOWN0000000000000000`, { headers: asFrank })).status,
    ).toBe(404);
    const adminRoute = await callJson(lookup.url, 'GET', '/api/v1/users?username=grace', { headers: asFrank });
    expect(adminRoute.status).toBe(403);
    expect(adminRoute.body?.['error']?.code).toBe('FORBIDDEN');

    const users = UserStore.open(endpoints().mysqlUrl, sharding, 1);
    try {
      await createAdmin(users, { username: 'root_admin', password, email: 'admin@example.com' });
    } finally {
      await users.close();
    }
    const asAdmin = { authorization: `Bearer ${(await login('root_admin')).body?.['accessToken'] as string}` };
    expect((await callJson(lookup.url, 'GET', `/api/v1/users/${graceId}`, { headers: asAdmin })).body).toMatchObject({
      username: 'grace',
    });
    expect(
      (await callJson(lookup.url, 'GET', '/api/v1/users?username=frank', { headers: asAdmin })).body,
    ).toMatchObject({
      id: frank.body?.['id'],
    });
  });

  it('rotates keys: old and new tokens verify while both are published; the old fails once its key is gone', async () => {
    await callJson(auth.url, 'POST', '/api/v1/auth/register', {
      body: { username: 'heidi', password, email: 'h@example.com' },
    });
    const oldToken = (await login('heidi')).body?.['accessToken'] as string; // signed by key-a

    const rotated = await startAuth([
      { ...keyA, active: false },
      { ...keyB, active: true },
    ]);
    const newToken = (await login('heidi', password, rotated.url)).body?.['accessToken'] as string;
    expect(JSON.parse(Buffer.from(newToken.split('.')[0] ?? '', 'base64url').toString())).toMatchObject({
      kid: 'key-b',
    });
    const both = await startLookup(rotated);
    for (const token of [oldToken, newToken]) {
      expect(
        (await callJson(both.url, 'GET', '/api/v1/users/me', { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
    }

    const retired = await startAuth([{ ...keyB, active: true }]);
    const onlyNew = await startLookup(retired);
    expect(
      (await callJson(onlyNew.url, 'GET', '/api/v1/users/me', { headers: { authorization: `Bearer ${newToken}` } }))
        .status,
    ).toBe(200);
    expect(
      (await callJson(onlyNew.url, 'GET', '/api/v1/users/me', { headers: { authorization: `Bearer ${oldToken}` } }))
        .status,
    ).toBe(401);
  });
});

describe('GET /openapi.json (published by user-auth beside the JWKS)', () => {
  afterAll(async () => {
    for (const s of running.splice(0)) {
      await s.close();
      await s.app.close();
    }
  });

  it('serves docs/openapi.json when configured, 404 when not, and 405 for other methods', async () => {
    const file = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url));
    const key = await generateSigningKey('key-openapi', true);
    const publishing = await startAuth([key], { OPENAPI_FILE: file });
    const got = await callJson(publishing.url, 'GET', '/openapi.json');
    expect(got.status).toBe(200);
    expect(got.body).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    const post = await callJson(publishing.url, 'POST', '/openapi.json', { body: {} });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    const silent = await startAuth([key]);
    expect((await callJson(silent.url, 'GET', '/openapi.json')).body?.['error']?.['code']).toBe('NOT_FOUND');
  });

  it('refuses to start with a file that is not an OpenAPI document', async () => {
    const key = await generateSigningKey('key-bad-openapi', true);
    await expect(startAuth([key], { OPENAPI_FILE: configFile })).rejects.toThrow(
      /OPENAPI_FILE.*not an OpenAPI document/,
    );
  });
});
