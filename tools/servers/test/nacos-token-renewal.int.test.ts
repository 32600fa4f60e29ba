import { NacosConfig } from '@couponkill/nacos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeStateDir, type RunningServer, startNacos } from '../src/index.js';
import type { NacosEndpoint } from '../src/types.js';

// A server of its own whose access tokens live 2 s, so the test can outlive a token.
describe('Nacos token renewal', () => {
  const profile = `test-renewal-${process.pid}`;
  let server: RunningServer<NacosEndpoint>;

  beforeAll(async () => {
    server = await startNacos({ profile, tokenTtlSeconds: 2 });
  });
  afterAll(async () => {
    await server?.process?.stop();
    removeStateDir(profile);
  });

  it('keeps working after its first token expired, while that token itself is refused', async () => {
    const { serverAddr, username, password } = server.endpoint;
    const login = await fetch(`http://${serverAddr}/nacos/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }).toString(),
    });
    const firstToken = ((await login.json()) as { accessToken: string }).accessToken;
    const nacos = await NacosConfig.connect({ serverAddr, username, password });
    try {
      await nacos.publish('renewal.yaml', 'v: 1\n');
      await new Promise((r) => setTimeout(r, 3500));
      const stale = await fetch(`http://${serverAddr}/nacos/v1/cs/configs?dataId=renewal.yaml&group=COUPONKILL`, {
        headers: { accessToken: firstToken },
      });
      expect(stale.status).toBe(403); // the server really expires tokens…
      await nacos.publish('renewal.yaml', 'v: 2\n'); // …and the wrapper renewed its own
      expect(await nacos.get('renewal.yaml')).toBe('v: 2\n');
    } finally {
      nacos.close();
    }
  });
});
