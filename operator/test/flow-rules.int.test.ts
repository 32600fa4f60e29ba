import { NacosConfig } from '@couponkill/nacos';
import { endpoints, uniqueName } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { NacosFlowRules, seckillSpecSchema, type SeckillObject } from '../src/index.js';

const A = '01JD4X9Z8K7M6N5P4Q3R2S1T0V';
const B = '01JD4X9Z8K7M6N5P4Q3R2S1T0W';

describe('per-sale flow rules in Nacos flow-rules.yaml (real Nacos protocol server)', () => {
  let nacos: NacosConfig;
  const dataId = `${uniqueName('flow_rules')}.yaml`;

  beforeAll(async () => {
    const { serverAddr, username, password } = endpoints().nacos;
    nacos = await NacosConfig.connect({ serverAddr, username, password, namespace: uniqueName('ns') });
  });
  afterAll(async () => {
    await nacos.remove(dataId);
    nacos.close();
  });

  const sale = (couponId: string) => {
    const spec = seckillSpecSchema.parse({
      coupon: { ref: couponId },
      stock: 10,
      window: { start: '2026-11-11T00:00:00Z', end: '2026-11-11T00:10:00Z' },
      flowRules: { perCoupon: { ratePerSecond: 3000, burst: 300 }, perUser: { ratePerSecond: 1 } },
    });
    return { couponId, spec, window: spec.window };
  };
  const object = {} as SeckillObject; // the publisher needs only the sale parameters

  it('adds the coupon under coupons.<id>, keeps everything else, and removes only its own entry', async () => {
    await nacos.publish(
      dataId,
      [
        '# hand-written defaults',
        'perUser: { ratePerSecond: 5 }',
        'coupons:',
        `  ${B}: { perCoupon: { ratePerSecond: 10 } }`,
        '',
      ].join('\n'),
    );
    const rules = new NacosFlowRules(nacos, dataId);
    const status = await rules.publish(object, sale(A));
    expect(status).toMatchObject({ published: true, target: `nacos ${dataId} coupons.${A}` });

    const published = (await nacos.get(dataId)) ?? '';
    expect(published).toContain('# hand-written defaults');
    expect(parse(published)).toEqual({
      perUser: { ratePerSecond: 5 },
      coupons: {
        [B]: { perCoupon: { ratePerSecond: 10 } },
        [A]: { perCoupon: { ratePerSecond: 3000, burst: 300 }, perUser: { ratePerSecond: 1 } },
      },
    });
    // Publishing again (a restarted operator) changes nothing.
    await rules.publish(object, sale(A));
    expect(await nacos.get(dataId)).toBe(published);

    await rules.withdraw(object, A);
    expect(parse((await nacos.get(dataId)) ?? '')).toEqual({
      perUser: { ratePerSecond: 5 },
      coupons: { [B]: { perCoupon: { ratePerSecond: 10 } } },
    });
  });

  it('creates the document when there is none yet', async () => {
    const fresh = `${uniqueName('flow_rules_new')}.yaml`;
    await new NacosFlowRules(nacos, fresh).publish(object, sale(A));
    const text = (await nacos.get(fresh)) ?? '';
    expect(text).toContain(`coupons:\n  ${A}:\n    perCoupon:\n`); // block style, as people write it
    expect(parse(text)).toEqual({
      coupons: { [A]: { perCoupon: { ratePerSecond: 3000, burst: 300 }, perUser: { ratePerSecond: 1 } } },
    });
    await nacos.remove(fresh);
  });
});
