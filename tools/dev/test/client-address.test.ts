import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createVerifier, generateSigningKey, loadKeyRing, publicJwks } from '@couponkill/auth';
import { createHealth } from '@couponkill/health';
import { clientIp, createFunctionKit } from '@couponkill/http';
import { createLogger } from '@couponkill/logging';
import { createMetrics } from '@couponkill/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startGateway } from '../src/gateway/server.js';
import { pickPort, REPO_ROOT } from '@couponkill/servers';

// The per-address limits (login lockout, registration, grab buckets) key on `clientIp`, which
// counts the proxies that append to X-Forwarded-For. A wrong count keys every client on one
// infrastructure address (all share one bucket) or on whatever the client wrote (no limit).

/** What a proxy does with X-Forwarded-For: Envoy (use_remote_address) and Go's ReverseProxy append the peer. */
const appendHop = (xff: string | undefined, peer: string) => (xff === undefined ? peer : `${xff}, ${peer}`);

const CLIENT = '203.0.113.7';
const SPOOFED = '198.51.100.66';

describe('client addresses in the cluster (the chart)', () => {
  const values = parse(readFileSync(join(REPO_ROOT, 'helm/couponkill/values.yaml'), 'utf8')) as {
    config: { trustedProxyHops: number };
  };

  /** The header user-auth and grab-coupon receive: ingress gateway → cluster-local gateway → queue-proxy. */
  function chain(sent: string | undefined): string {
    let xff = appendHop(sent, CLIENT); // the ingress gateway appends the client it saw (externalTrafficPolicy: Local)
    xff = appendHop(xff, '10.244.1.15'); // knative-local-gateway appends the ingress gateway pod
    return appendHop(xff, '127.0.0.6'); // queue-proxy appends its peer, the pod's own sidecar
  }

  it('finds the client behind the three proxies with the chart default', () => {
    const hops = values.config.trustedProxyHops;
    expect(clientIp({ 'x-forwarded-for': chain(undefined) }, '127.0.0.1', hops)).toBe(CLIENT);
    // Whatever the client wrote itself stays to the left and is never taken.
    expect(clientIp({ 'x-forwarded-for': chain(SPOOFED) }, '127.0.0.1', hops)).toBe(CLIENT);
    expect(clientIp({ 'x-forwarded-for': chain(`${SPOOFED}, 10.0.0.1`) }, '127.0.0.1', hops)).toBe(CLIENT);
  });
});

describe('client addresses in make dev (the local gateway, one hop)', () => {
  // make dev passes TRUSTED_PROXY_HOPS=1 to user-auth and grab-coupon: its gateway is the only proxy.
  const DEV_HOPS = 1;
  const fn = createServer((req, res) => {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ip: clientIp(req.headers, req.socket.remoteAddress, DEV_HOPS) }));
  });
  let gateway: ReturnType<typeof createServer> | undefined;
  let base = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => fn.listen(0, '127.0.0.1', resolve));
    const ring = await loadKeyRing([await generateSigningKey('gw', true)]);
    const port = await pickPort();
    gateway = await startGateway({
      port,
      kit: createFunctionKit('gw-test', {
        logger: createLogger({ name: 'gw-test', level: 'silent' }),
        metrics: createMetrics({ service: 'gw-test', collectDefault: false }),
        health: createHealth(),
      }),
      upstreams: new Map([['user-auth', (fn.address() as { port: number }).port]]),
      table: [{ prefix: '/api/v1/auth', function: 'user-auth' }],
      routes: [],
      verify: createVerifier({ issuer: 'iss', audience: 'aud', jwks: publicJwks(ring) }),
    });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => {
    gateway?.close();
    fn.close();
  });

  it('takes the address the gateway saw, not one the client wrote', async () => {
    const plain = await fetch(`${base}/api/v1/auth/login`);
    expect(await plain.json()).toEqual({ ip: '127.0.0.1' });
    const spoofed = await fetch(`${base}/api/v1/auth/login`, { headers: { 'x-forwarded-for': SPOOFED } });
    expect(await spoofed.json()).toEqual({ ip: '127.0.0.1' });
  });
});
