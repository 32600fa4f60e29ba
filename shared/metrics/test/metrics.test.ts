import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL } from '../src/index.js';
import { valueOf } from './exposition.js';

describe('createMetrics', () => {
  it('renders the Prometheus text format with the service label on every series', async () => {
    const metrics = createMetrics({ service: 'grab-coupon', collectDefault: false });
    metrics.counter('couponkill_grabs_total', 'Grabs.', ['outcome']).inc({ outcome: 'won' }, 3);
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE couponkill_grabs_total counter');
    expect(valueOf(body, 'couponkill_grabs_total', { outcome: 'won', service: 'grab-coupon' })).toBe(3);
  });

  it('pre-registers the HTTP request counter and histogram', async () => {
    const metrics = createMetrics({ service: 's', collectDefault: false });
    expect(metrics.registry.getSingleMetric(HTTP_REQUESTS_TOTAL)).toBeDefined();
    expect(metrics.registry.getSingleMetric(HTTP_REQUEST_DURATION_SECONDS)).toBeDefined();
    const { body } = await metrics.render();
    expect(body).toContain('# TYPE couponkill_http_request_duration_seconds histogram');
  });

  it('observeHttp increments the counter and fills the matching latency bucket', async () => {
    const metrics = createMetrics({ service: 's', collectDefault: false });
    metrics.observeHttp('/api/v1/coupons/:id/grab', 'POST', 200, 0.003);
    metrics.observeHttp('/api/v1/coupons/:id/grab', 'POST', 200, 0.2);
    metrics.observeHttp('/api/v1/coupons/:id/grab', 'POST', 409, 0.001);
    const { body } = await metrics.render();
    const labels = { service: 's', route: '/api/v1/coupons/:id/grab', method: 'POST' };
    const ok = { ...labels, status: '200' };
    expect(valueOf(body, HTTP_REQUESTS_TOTAL, ok)).toBe(2);
    expect(valueOf(body, HTTP_REQUESTS_TOTAL, { ...labels, status: '409' })).toBe(1);
    const bucket = (le: string) => valueOf(body, `${HTTP_REQUEST_DURATION_SECONDS}_bucket`, { ...ok, le });
    expect(bucket('0.0025')).toBe(0);
    expect(bucket('0.005')).toBe(1);
    expect(bucket('0.25')).toBe(2);
    expect(bucket('2.5')).toBe(2);
    expect(valueOf(body, `${HTTP_REQUEST_DURATION_SECONDS}_count`, ok)).toBe(2);
    expect(valueOf(body, `${HTTP_REQUEST_DURATION_SECONDS}_sum`, ok)).toBeCloseTo(0.203);
  });

  it('returns the same metric when asked twice under one name', async () => {
    const metrics = createMetrics({ service: 's', collectDefault: false });
    const a = metrics.counter('couponkill_x_total', 'X.', ['k']);
    const b = metrics.counter('couponkill_x_total', 'X.', ['k']);
    expect(b).toBe(a);
    expect(metrics.gauge('couponkill_g', 'G.')).toBe(metrics.gauge('couponkill_g', 'G.'));
    expect(metrics.histogram('couponkill_h', 'H.', ['k'], [1, 2])).toBe(
      metrics.histogram('couponkill_h', 'H.', ['k'], [1, 2]),
    );
    a.inc({ k: 'v' });
    b.inc({ k: 'v' });
    expect(valueOf((await metrics.render()).body, 'couponkill_x_total', { k: 'v', service: 's' })).toBe(2);
  });

  it('refuses a second definition of a name with another type, labels or buckets', () => {
    const metrics = createMetrics({ service: 's', collectDefault: false });
    metrics.counter('couponkill_y', 'Y.', ['a']);
    expect(() => metrics.gauge('couponkill_y', 'Y.', ['a'])).toThrow(/already registered/);
    expect(() => metrics.counter('couponkill_y', 'Y.', ['b'])).toThrow(/already registered/);
    metrics.histogram('couponkill_z', 'Z.', [], [1]);
    expect(() => metrics.histogram('couponkill_z', 'Z.', [], [2])).toThrow(/already registered/);
  });

  it('refuses a name without the couponkill_ prefix', () => {
    const metrics = createMetrics({ service: 's', collectDefault: false });
    expect(() => metrics.counter('grabs_total', 'No prefix.')).toThrow(/couponkill_/);
    expect(() => metrics.gauge('streams_open', 'No prefix.')).toThrow(/couponkill_/);
  });

  it('uses prom-client default buckets when none are given', async () => {
    const metrics = createMetrics({ service: 's', collectDefault: false });
    metrics.histogram('couponkill_lat_seconds', 'L.').observe(1);
    const { body } = await metrics.render();
    expect(valueOf(body, 'couponkill_lat_seconds_bucket', { le: '5' })).toBe(1);
    expect(valueOf(body, 'couponkill_lat_seconds_bucket', { le: '0.5' })).toBe(0);
    expect(valueOf(body, 'couponkill_lat_seconds_bucket', { le: '10', service: 's' })).toBe(1);
  });

  it('keeps registries apart and leaves the global one alone', async () => {
    const a = createMetrics({ service: 'a', collectDefault: false });
    const b = createMetrics({ service: 'b', collectDefault: false });
    a.counter('couponkill_only_in_a_total', 'A.').inc();
    expect((await b.render()).body).not.toContain('couponkill_only_in_a_total');
    expect(globalRegistry.getSingleMetric(HTTP_REQUESTS_TOTAL)).toBeUndefined();
  });

  it('collects process metrics unless told not to', async () => {
    const on = await createMetrics({ service: 'on' }).render();
    expect(valueOf(on.body, 'process_cpu_user_seconds_total', { service: 'on' })).toBeGreaterThanOrEqual(0);
    const off = await createMetrics({ service: 'off', collectDefault: false }).render();
    expect(off.body).not.toContain('process_cpu_user_seconds_total');
  });
});
