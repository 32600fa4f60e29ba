import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { consumerLag } from '@couponkill/events';
import { checkInvariants, fireGrabs, pressingUsers, SaleRig, settle } from '../src/index.js';
import { createLogger } from '@couponkill/logging';
import { endpoints } from '@couponkill/testkit';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Controller, SaleBackend, StatusOnlyFlowRules } from '@couponkill/operator';
import { REPO_ROOT } from '@couponkill/servers';
import { FileSeckillStore, LocalScaler } from '@couponkill/dev/sale';
import { LagScaler, MinScaleFile } from '@couponkill/dev/scaler';

describe('a sale without Kubernetes: the same controller with the local adapters (make sale)', () => {
  const rig = new SaleRig(endpoints());
  let admin: Admin;
  const logger = createLogger({ name: 'dev-sale-test', level: 'silent' });

  beforeAll(async () => {
    await rig.start();
    admin = rig.kafka.admin();
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    await admin?.disconnect();
    await rig.stop();
  });

  it('runs every phase from a YAML file with a fresh controller for every pass, raises the lag-scaler floor, takes an edit, and ends with the invariants', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-sale-'));
    const file = join(dir, 'seckill.yaml');
    const manifest = parse(readFileSync(join(REPO_ROOT, 'operator/examples/seckill.yaml'), 'utf8')) as {
      spec: {
        stock: number;
        window: { start: string; end: string };
        prewarmSeconds: number;
        drainTimeoutSeconds: number;
      };
    };
    const start = Date.now() + 3_000;
    manifest.spec.stock = 30;
    manifest.spec.window = { start: new Date(start).toISOString(), end: new Date(start + 6_000).toISOString() };
    manifest.spec.prewarmSeconds = 2;
    manifest.spec.drainTimeoutSeconds = 60;
    writeFileSync(file, stringify(manifest));

    const lines: string[] = [];
    const minScale = new MinScaleFile(join(dir, 'min-scale.json'));
    const replicas: number[] = [];
    // make dev's lag scaler, reading its floor from the file the sale writes (no processes here).
    const lagScaler = new LagScaler({
      policy: {
        lagThreshold: 200,
        activationLagThreshold: 10,
        minReplicas: 1,
        maxReplicas: 4,
        partitions: 8,
        cooldownMs: 0,
      },
      lag: async () => (await consumerLag(admin, `${rig.prefix}-create-order`, rig.topic)).total,
      scaleTo: async (n) => {
        replicas.push(n);
      },
      initialReplicas: 1,
      pollingMs: 100,
      logger,
      floor: () => minScale.get('create-order'),
    });
    lagScaler.start();
    // A new store for every pass too: what survives a restart is the status file alone.
    let store = new FileSeckillStore({ file, statusFile: join(dir, 'status.yaml'), log: (l) => lines.push(l) });
    // A new controller (and store) for every pass: as if `make sale` restarted all the time, with
    // nothing remembered but the status file. Each action must still happen exactly once.
    const acted: string[] = [];
    const fresh = () =>
      new Controller({
        onAction: (_object, action) => acted.push(action.kind),
        store,
        backend: new SaleBackend({
          coupons: rig.coupons,
          orders: rig.orders,
          sale: rig.sale,
          consumerLag: async () => (await consumerLag(admin, `${rig.prefix}-create-order`, rig.topic)).total,
        }),
        scaler: new LocalScaler(minScale, (l) => lines.push(l)),
        flowRules: new StatusOnlyFlowRules(),
        logger,
        refreshMs: 200,
        pollMs: 100,
      });
    let stopped = false;
    const running = (async () => {
      // Like make sale, it ends with the sale (a new run on a finished status file starts afresh).
      while (!stopped && store.status.phase !== 'Audited' && store.status.phase !== 'Failed') {
        store = new FileSeckillStore({ file, statusFile: join(dir, 'status.yaml'), log: (l) => lines.push(l) });
        await fresh().pass();
        await sleep(100);
      }
    })();
    try {
      const phase = async (want: string, timeoutMs: number) => {
        const until = Date.now() + timeoutMs;
        while (store.status.phase !== want) {
          if (Date.now() > until) throw new Error(`phase ${store.status.phase} after ${timeoutMs} ms, wanted ${want}`);
          await sleep(50);
        }
      };
      await phase('Warming', 10_000);
      expect(minScale.read()).toEqual({ 'grab-coupon': 4, 'create-order': 3 });
      await phase('Open', 10_000);
      const couponId = store.status.couponId ?? '';
      expect(replicas).toContain(3); // the lag scaler held the floor the sale raised

      const waves = await pressingUsers(rig, 'local-', 25, 2);
      const first = await fireGrabs(rig.grabUrl, couponId, waves, 10);
      expect(first.acceptedGrabIds).toHaveLength(30);
      // An edit during the sale: 10 more units; the file is read again, a new generation applied.
      writeFileSync(file, stringify({ ...manifest, spec: { ...manifest.spec, stock: 40 } }));
      await waitUntil(async () => ((await rig.sale.stockLeft(couponId)) ?? 0) === 10, 5_000);
      await sleep(1_100); // grab-coupon remembers "sold out" for 1 s after Redis said so
      const more = await pressingUsers(rig, 'late-', 10, 2);
      const second = await fireGrabs(rig.grabUrl, couponId, more, 10);
      expect(second.acceptedGrabIds).toHaveLength(10);
      const accepted = [...first.acceptedGrabIds, ...second.acceptedGrabIds];

      await phase('Audited', 30_000);
      await settle(rig, accepted);
      expect(minScale.read()).toEqual({}); // minimums given back
      await waitUntil(async () => replicas.at(-1) === 1, 5_000);
      expect(store.status).toMatchObject({
        sold: 40,
        remaining: 0,
        ordersDurable: 40,
        report: { verdict: 'CONSISTENT' },
      });
      expect(lines.some((l) => l.includes('Audited'))).toBe(true);
      // Warm-up, the edit applied once more, the close, the audit: nothing twice.
      expect(acted).toEqual([
        'prepareCoupon',
        'scaleUp',
        'publishFlowRules',
        'prepareCoupon',
        'scaleUp',
        'publishFlowRules',
        'scaleDown',
        'withdrawFlowRules',
        'audit',
      ]);
      const report = await checkInvariants(
        { couponId, initialStock: 40, perUserLimit: 2, acceptedGrabIds: accepted },
        rig.orders,
        rig.sale,
      );
      console.info(`${lines.join('\n')}\nlag scaler replicas: ${replicas.join(' → ')}\ninvariants: ${report.line}`);
      expect(report.line).toBe('oversell=0 over_limit=0 lost=0 duplicate=0 stranded=0');
    } finally {
      stopped = true;
      lagScaler.stop();
      await running;
    }
  }, 90_000);
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(50);
  }
}
