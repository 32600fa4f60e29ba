import { describe, expect, it } from 'vitest';
import { loadOrdersConfig } from '../src/config.js';

describe('orders configuration', () => {
  it('has defaults for everything; without a job token only admins run the job', () => {
    const config = loadOrdersConfig({}).current;
    expect(config.orderSharding.databases).toHaveLength(2);
    expect(config.expiry).toEqual({ batchLimit: 500, concurrency: 8 });
  });

  it('reads the environment', () => {
    const token = 'x'.repeat(32);
    const config = loadOrdersConfig({
      MYSQL_URL: 'mysql://u:p@db:3306',
      REDIS_URL: 'redis://cache:6379',
      AUTH_ISSUER: 'https://issuer.test',
      JOB_TOKEN: token,
      EXPIRE_BATCH_LIMIT: '50',
    }).current;
    expect(config).toMatchObject({
      mysqlUrl: 'mysql://u:p@db:3306',
      redis: { url: 'redis://cache:6379' },
      auth: { issuer: 'https://issuer.test' },
      expiry: { jobToken: token, batchLimit: 50 },
    });
  });

  it('refuses a guessable job token without echoing it', () => {
    expect(() => loadOrdersConfig({ JOB_TOKEN: 'secret123' })).toThrow(/expiry\.jobToken.*env JOB_TOKEN/);
    expect(() => loadOrdersConfig({ JOB_TOKEN: 'secret123' })).not.toThrow(/secret123/);
  });
});
