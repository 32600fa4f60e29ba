import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FunctionApp } from '@couponkill/http';
import { CouponStore } from '@couponkill/coupons';
import { createPool } from '@couponkill/db';
import { OrderStore, orderShardingSchema } from '@couponkill/orders';
import { endpoints, serve, uniqueName } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAudit } from '../src/app.js';
import { loadAuditConfig } from '../src/config.js';

// The audit job over HTTP against the real servers: only `Bearer <job token>` runs it.
const JOB_TOKEN = randomBytes(24).toString('base64url');
const UNKNOWN_COUPON = '01JCK7Q8ZK3M6V4T2R1P0N9B8A';
const prefix = uniqueName('ck_audit');
const couponsDatabase = `${prefix}_coupons`;
const orderSharding = orderShardingSchema.parse({ databases: [{ database: `${prefix}_o0` }], tablesPerDatabase: 1 });

describe('audit: the job token', () => {
  let app: FunctionApp;
  let served: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    await CouponStore.migrate(endpoints().mysqlUrl, couponsDatabase);
    await OrderStore.migrate(endpoints().mysqlUrl, orderSharding);
    const configFile = join(mkdtempSync(join(tmpdir(), 'ck-audit-')), 'audit.yaml');
    writeFileSync(configFile, JSON.stringify({ orderSharding }));
    app = await createAudit(
      loadAuditConfig({
        MYSQL_URL: endpoints().mysqlUrl,
        REDIS_URL: endpoints().redisUrl,
        KAFKA_BROKERS: endpoints().kafkaBrokers.join(','),
        COUPONS_DATABASE: couponsDatabase,
        CONFIG_FILE: configFile,
        JOB_TOKEN,
      }),
    );
    served = await serve(app.handler);
  });
  afterAll(async () => {
    await served.close();
    await app.close();
    const server = createPool({ url: endpoints().mysqlUrl, connectionLimit: 1 });
    for (const db of [couponsDatabase, ...orderSharding.databases.map((d) => d.database)])
      await server.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await server.end();
  });

  const run = (authorization: string | undefined) =>
    fetch(`${served.url}/jobs/audit`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: JSON.stringify({ couponIds: [UNKNOWN_COUPON], repair: false }),
    });

  it('refuses the token without the Bearer scheme, a wrong one and none with 401', async () => {
    for (const authorization of [JOB_TOKEN, `Basic ${JOB_TOKEN}`, `Bearer ${JOB_TOKEN}x`, undefined]) {
      const response = await run(authorization);
      expect(response.status, String(authorization)).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('runs with `Bearer <job token>`', async () => {
    const response = await run(`Bearer ${JOB_TOKEN}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ reports: [{ couponId: UNKNOWN_COUPON, verdict: 'NOT_FOUND' }] });
  });
});
