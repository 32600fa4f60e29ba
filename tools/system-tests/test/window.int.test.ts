import { endpoints } from '@couponkill/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fireGrabs } from '../src/grab-load.js';
import { SaleRig } from '../src/sale-rig.js';

// The sale window is judged by Redis TIME inside the grab script. Here the grab function runs
// in this process with its clock (Date) moved to a moment inside each window, and Redis still
// refuses, because by the only clock that counts the sale has not started or has ended.
describe('the sale window follows Redis time, not the function clock', () => {
  const rig = new SaleRig(endpoints());
  beforeAll(async () => {
    await rig.start();
  }, 120_000);
  afterAll(async () => {
    vi.useRealTimers();
    await rig.stop();
  });

  const minutes = (n: number) => n * 60_000;

  async function grabWithClockAt(couponId: string, fakeNow: number) {
    vi.useFakeTimers({ toFake: ['Date'], now: fakeNow });
    try {
      // The token is issued and verified by the same (wrong) clock, so only the window can refuse.
      const token = await rig.token('clock-user');
      return await fireGrabs(rig.grabUrl, couponId, [[{ userId: 'clock-user', token }]], 1);
    } finally {
      vi.useRealTimers();
    }
  }

  it('refuses a grab before the start with 425 NOT_STARTED while the function clock says the sale is on', async () => {
    const now = Date.now();
    const coupon = await rig.coupon({
      type: 'seckill',
      startAt: new Date(now + minutes(30)).toISOString(),
      endAt: new Date(now + minutes(60)).toISOString(),
    });
    const result = await grabWithClockAt(coupon.id, now + minutes(45));
    expect(result.statuses).toEqual({ 425: 1 });
    expect(result.codes).toEqual({ NOT_STARTED: 1 });
  });

  it('refuses a grab after the end with 410 ENDED while the function clock says the sale is on', async () => {
    const now = Date.now();
    const coupon = await rig.coupon({
      type: 'seckill',
      startAt: new Date(now - minutes(60)).toISOString(),
      endAt: new Date(now - minutes(30)).toISOString(),
    });
    const result = await grabWithClockAt(coupon.id, now - minutes(45));
    expect(result.statuses).toEqual({ 410: 1 });
    expect(result.codes).toEqual({ ENDED: 1 });
  });

  it('accepts inside the window even when the function clock is a day off', async () => {
    const now = Date.now();
    const coupon = await rig.coupon({
      type: 'seckill',
      startAt: new Date(now - minutes(5)).toISOString(),
      endAt: new Date(now + minutes(60)).toISOString(),
    });
    const result = await grabWithClockAt(coupon.id, now + minutes(24 * 60));
    expect(result.statuses).toEqual({ 202: 1 });
  });
});
