import { createServer } from 'node:http';
import { createVerifier, generateSigningKey, issueAccessToken, loadKeyRing, publicJwks } from '@couponkill/auth';
import { createHealth } from '@couponkill/health';
import { createFunctionKit } from '@couponkill/http';
import { createLogger } from '@couponkill/logging';
import { createMetrics } from '@couponkill/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../src/gateway/server.js';
import { pickPort } from '@couponkill/servers';

// The gateway in front of one stand-in function that counts what reaches it.
describe('local gateway', () => {
  let reached = 0;
  const fn = createServer((req, res) => {
    reached += 1;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ path: req.url, xff: req.headers['x-forwarded-for'] }));
  });
  let gateway: ReturnType<typeof createServer> | undefined;
  let base = '';
  let token = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => fn.listen(0, '127.0.0.1', resolve));
    const fnPort = (fn.address() as { port: number }).port;
    const ring = await loadKeyRing([await generateSigningKey('gw', true)]);
    token = (
      await issueAccessToken(
        ring,
        { userId: 'u1', roles: ['user'] },
        { issuer: 'iss', audience: 'aud', ttlSeconds: 60 },
      )
    ).token;
    const port = await pickPort();
    gateway = await startGateway({
      port,
      kit: createFunctionKit('gw-test', {
        logger: createLogger({ name: 'gw-test', level: 'silent' }),
        metrics: createMetrics({ service: 'gw-test', collectDefault: false }),
        health: createHealth(),
      }),
      upstreams: new Map([['user-lookup', fnPort]]),
      table: [{ prefix: '/api/v1/users', function: 'user-lookup' }],
      routes: [],
      verify: createVerifier({ issuer: 'iss', audience: 'aud', jwks: publicJwks(ring) }),
    });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => {
    gateway?.close();
    fn.close();
  });

  it('passes a request with a valid token, or none, to the function with X-Forwarded-For', async () => {
    const withToken = await fetch(`${base}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(withToken.status).toBe(200);
    expect(await withToken.json()).toMatchObject({ path: '/api/v1/users/me', xff: '127.0.0.1' });
    expect((await fetch(`${base}/api/v1/users/me`)).status).toBe(200);
  });

  it('refuses a present but invalid token itself, with the JSON error, before the function sees it', async () => {
    const before = reached;
    const response = await fetch(`${base}/api/v1/users/me`, { headers: { authorization: 'Bearer a.b.c' } });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    expect(reached).toBe(before);
  });

  it('answers unrouted paths itself with a 404 JSON error', async () => {
    const response = await fetch(`${base}/nothing-here`);
    expect(response.status).toBe(404);
  });
});
