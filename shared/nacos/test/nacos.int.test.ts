import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfigDocument } from '@couponkill/config';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NacosConfig, watchConfig } from '../src/index.js';

const flowRules = z.strictObject({
  perUserPerSecond: z.number().positive(),
  globalPerSecond: z.number().int().positive(),
});

async function until<T>(probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('not observed in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the Nacos wrapper against a real Nacos-protocol server with auth on', () => {
  const namespace = uniqueName('ck-test');
  let nacos: NacosConfig;

  beforeAll(async () => {
    const { serverAddr, username, password } = endpoints().nacos;
    nacos = await NacosConfig.connect({
      serverAddr,
      username,
      password,
      namespace,
      cacheDir: mkdtempSync(join(tmpdir(), 'ck-nacos-')),
    });
  });
  afterAll(() => nacos.close());

  it('logs in and proves that writes really land (publish, read back, remove)', async () => {
    await expect(nacos.verifyWritable()).resolves.toBeUndefined();
  });

  it('rejects wrong credentials with a clear error instead of silently reading nothing', async () => {
    const { serverAddr, username } = endpoints().nacos;
    await expect(NacosConfig.connect({ serverAddr, username, password: 'wrong', namespace })).rejects.toThrow(
      'nacos login failed',
    );
  });

  it('publishes, gets and removes a YAML document', async () => {
    const dataId = `${uniqueName('doc')}.yaml`;
    await nacos.publish(dataId, 'a: 1\n');
    expect(await nacos.get(dataId)).toBe('a: 1\n');
    await nacos.remove(dataId);
    expect(await nacos.get(dataId)).toBeNull();
  });

  it('keeps namespaces apart', async () => {
    const { serverAddr, username, password } = endpoints().nacos;
    const other = await NacosConfig.connect({ serverAddr, username, password, namespace: uniqueName('ck-other') });
    try {
      const dataId = `${uniqueName('iso')}.yaml`;
      await nacos.publish(dataId, 'mine: true\n');
      expect(await other.get(dataId)).toBeNull();
    } finally {
      other.close();
    }
  });

  it('delivers a change to a subscriber within 2 s and swaps the typed snapshot; an invalid one is rejected', async () => {
    const dataId = `${uniqueName('flow-rules')}.yaml`;
    await nacos.publish(dataId, 'perUserPerSecond: 5\nglobalPerSecond: 1000\n');
    const rejected: string[] = [];
    const watch = watchConfig(nacos, {
      dataId,
      initial: undefined as z.output<typeof flowRules> | undefined,
      parse: (text) => {
        const doc = parseConfigDocument(text);
        if (!doc.ok) return doc;
        const rules = flowRules.safeParse(doc.data);
        return rules.success
          ? { ok: true, value: rules.data }
          : { ok: false, reason: rules.error.issues.map((i) => i.path.join('.')).join(',') };
      },
      onReject: (reason) => rejected.push(reason),
    });
    try {
      await until(() => watch.current);
      const first = watch.current;
      expect(first).toEqual({ perUserPerSecond: 5, globalPerSecond: 1000 });

      const published = performance.now();
      await nacos.publish(dataId, 'perUserPerSecond: 2\nglobalPerSecond: 800\n');
      await until(() => (watch.current?.perUserPerSecond === 2 ? true : undefined), 2000);
      const delayMs = performance.now() - published;
      console.info(`nacos change observed by the subscriber after ${delayMs.toFixed(0)} ms`);
      expect(delayMs).toBeLessThan(2000);
      expect(first).toEqual({ perUserPerSecond: 5, globalPerSecond: 1000 }); // the old snapshot is untouched

      const current = watch.current;
      await nacos.publish(dataId, 'perUserPerSecond: lots\n');
      await until(() => (rejected.length > 0 ? true : undefined), 2000);
      expect(rejected[0]).toContain('perUserPerSecond');
      expect(watch.current).toBe(current);
    } finally {
      watch.stop();
    }
  });

  it('feeds a ConfigStore: defaults < env < Nacos, swapped live, invalid updates keep the old snapshot', async () => {
    const dataId = `${uniqueName('grab-coupon')}.yaml`;
    const schema = z.object({
      port: z.number().default(8080),
      flow: z.object({ perUserPerSecond: z.number().positive().default(5) }).prefault({}),
    });
    const store = loadConfig({ name: 'grab-coupon', schema, env: { PORT: 'port' } }, { env: { PORT: '9000' } });
    const rejected: string[] = [];
    const stop = nacos.subscribe(dataId, (text) => {
      const doc = parseConfigDocument(text ?? '');
      const result = doc.ok
        ? store.applyLayer('nacos', doc.data, `nacos ${dataId}`)
        : { ok: false as const, error: new Error(doc.reason) };
      if (!result.ok) rejected.push(result.error.message);
    });
    try {
      await nacos.publish(dataId, 'flow:\n  perUserPerSecond: 9\n');
      await until(() => (store.current.flow.perUserPerSecond === 9 ? true : undefined), 2000);
      expect(store.current.port).toBe(9000);
      const before = store.current;
      await nacos.publish(dataId, 'flow:\n  perUserPerSecond: -3\n');
      await until(() => (rejected.length > 0 ? true : undefined), 2000);
      expect(rejected[0]).toContain(`flow.perUserPerSecond`);
      expect(rejected[0]).toContain(`(from nacos ${dataId})`);
      expect(store.current).toBe(before);
    } finally {
      stop();
    }
  });
});
