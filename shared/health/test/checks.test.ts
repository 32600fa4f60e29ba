import { describe, expect, it, vi } from 'vitest';
import { createHealth, kafkaAdminReachable, pingMysql, pingRedis } from '../src/index.js';

describe('check factories', () => {
  it('pingRedis passes on PONG and fails on anything else', async () => {
    await expect(pingRedis({ ping: async () => 'PONG' })()).resolves.toBeUndefined();
    await expect(pingRedis({ ping: async () => 'LOADING' })()).rejects.toThrow(/unexpected PING reply/);
  });

  it('pingMysql runs SELECT 1', async () => {
    const query = vi.fn(async (_sql: string) => [[{ 1: 1 }], []]);
    await pingMysql({ query })();
    expect(query).toHaveBeenCalledWith('SELECT 1');
  });

  it('kafkaAdminReachable describes the cluster', async () => {
    const describeCluster = vi.fn(async () => ({ brokers: [] }));
    await kafkaAdminReachable({ describeCluster })();
    expect(describeCluster).toHaveBeenCalledOnce();
  });

  it('plug into readiness with the dependency error code', async () => {
    const health = createHealth({ cacheMs: 0 });
    health.addCheck('redis', pingRedis({ ping: async () => 'PONG' }));
    health.addCheck(
      'kafka',
      kafkaAdminReachable({
        describeCluster: () => Promise.reject(Object.assign(new Error('x'), { code: 'KafkaJSConnectionError' })),
      }),
    );
    const result = await health.readiness();
    expect(result.checks).toMatchObject({ redis: { ok: true }, kafka: { ok: false, error: 'KafkaJSConnectionError' } });
  });
});
