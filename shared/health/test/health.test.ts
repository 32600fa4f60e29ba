import { describe, expect, it, vi } from 'vitest';
import { createHealth } from '../src/index.js';

/** A promise the test settles by hand, to observe what runs while a check is pending. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A clock the test moves by hand. */
function clock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('liveness', () => {
  it('is ok until the process is marked broken, then reports the first reason', () => {
    const health = createHealth();
    expect(health.liveness()).toEqual({ status: 'ok' });
    health.markBroken('kafka consumer crashed');
    health.markBroken('later symptom');
    expect(health.liveness()).toEqual({ status: 'broken', reason: 'kafka consumer crashed' });
  });
});

describe('readiness', () => {
  it('is ready with no checks', async () => {
    await expect(createHealth().readiness()).resolves.toEqual({ ready: true, status: 'ok', checks: {} });
  });

  it('reports every check and is unavailable when any fails', async () => {
    const health = createHealth({ cacheMs: 0 });
    health.addCheck('redis', async () => 'PONG');
    health.addCheck('mysql', () =>
      Promise.reject(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:3306'), { code: 'ECONNREFUSED' })),
    );
    const result = await health.readiness();
    expect(result.ready).toBe(false);
    expect(result.status).toBe('unavailable');
    expect(result.checks['redis']).toEqual({ ok: true, ms: expect.any(Number) });
    expect(result.checks['mysql']).toEqual({ ok: false, ms: expect.any(Number), error: 'ECONNREFUSED' });
  });

  it('fails a check that exceeds the timeout without waiting for it', async () => {
    const health = createHealth({ timeoutMs: 20, cacheMs: 0 });
    health.addCheck('kafka', () => new Promise(() => undefined));
    health.addCheck('redis', async () => 'PONG');
    const started = performance.now();
    const result = await health.readiness();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.ready).toBe(false);
    expect(result.checks['kafka']).toMatchObject({ ok: false, error: 'timeout after 20ms' });
    expect(result.checks['kafka']?.ms).toBeGreaterThanOrEqual(15);
    expect(result.checks['redis']?.ok).toBe(true);
  });

  it('swallows a rejection that arrives after the timeout', async () => {
    const late = deferred();
    const health = createHealth({ timeoutMs: 5, cacheMs: 0 });
    health.addCheck('slow', () => late.promise);
    expect((await health.readiness()).checks['slow']?.error).toBe('timeout after 5ms');
    late.reject(new Error('too late'));
    // An unhandled rejection here would fail the test run.
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('counts a check that throws synchronously as failed', async () => {
    const health = createHealth({ cacheMs: 0 });
    health.addCheck('bad', () => {
      throw new Error('no client configured');
    });
    expect((await health.readiness()).checks['bad']).toMatchObject({ ok: false, error: 'no client configured' });
  });

  it('runs checks in parallel', async () => {
    const health = createHealth({ cacheMs: 0 });
    const gates = [deferred(), deferred(), deferred()];
    const started: string[] = [];
    gates.forEach((gate, i) =>
      health.addCheck(`c${i}`, () => {
        started.push(`c${i}`);
        return gate.promise;
      }),
    );
    const pending = health.readiness();
    // All three are running although none has finished yet.
    expect(started).toEqual(['c0', 'c1', 'c2']);
    for (const gate of gates) gate.resolve();
    expect((await pending).ready).toBe(true);
  });

  it('reuses one result within cacheMs and probes again after it', async () => {
    const time = clock();
    const health = createHealth({ cacheMs: 1000, now: time.now });
    const check = vi.fn(async () => 'PONG');
    health.addCheck('redis', check);

    const first = await health.readiness();
    time.advance(999);
    expect(await health.readiness()).toBe(first);
    expect(check).toHaveBeenCalledTimes(1);

    time.advance(1);
    await health.readiness();
    expect(check).toHaveBeenCalledTimes(2);
  });

  it('shares one in-flight run between concurrent probes', async () => {
    const gate = deferred();
    const health = createHealth();
    const check = vi.fn(() => gate.promise);
    health.addCheck('mysql', check);
    const probes = Array.from({ length: 50 }, () => health.readiness());
    gate.resolve();
    const results = await Promise.all(probes);
    expect(check).toHaveBeenCalledTimes(1);
    expect(new Set(results).size).toBe(1);
  });

  it('caches failures too, so a down dependency is not hammered', async () => {
    const health = createHealth({ cacheMs: 60_000 });
    const check = vi.fn(() => Promise.reject(new Error('down')));
    health.addCheck('redis', check);
    await health.readiness();
    await health.readiness();
    expect(check).toHaveBeenCalledTimes(1);
  });

  it('fails at once while draining, without probing, and recovers', async () => {
    const health = createHealth({ cacheMs: 60_000 });
    const check = vi.fn(async () => 'PONG');
    health.addCheck('redis', check);
    expect((await health.readiness()).ready).toBe(true);

    health.setReady(false);
    expect(await health.readiness()).toEqual({
      ready: false,
      status: 'unavailable',
      checks: { shutdown: { ok: false, ms: 0, error: 'shutting down' } },
    });
    expect(check).toHaveBeenCalledTimes(1);

    health.setReady(true);
    expect((await health.readiness()).ready).toBe(true);
    expect(check).toHaveBeenCalledTimes(2);
  });

  it('refuses two checks with the same name', () => {
    const health = createHealth();
    health.addCheck('redis', async () => 'PONG');
    expect(() => health.addCheck('redis', async () => 'PONG')).toThrow(/already registered/);
  });
});
