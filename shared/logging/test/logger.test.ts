import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, requestLogger } from '../src/index.js';
import { capture } from './capture.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createLogger', () => {
  it('writes JSON lines with the service, an ISO time and the level name', () => {
    const out = capture();
    createLogger({ name: 'grab-coupon', destination: out }).info({ couponId: 'c1' }, 'grabbed');
    const [line] = out.lines();
    expect(line).toMatchObject({ service: 'grab-coupon', level: 'info', msg: 'grabbed', couponId: 'c1' });
    expect(new Date(String(line?.['time'])).toISOString()).toBe(line?.['time']);
    // `base` replaces pino's pid/hostname: the service name is the identity we query by.
    expect(line).not.toHaveProperty('pid');
  });

  it('hides credentials in headers and any password or token field', () => {
    const out = capture();
    const log = createLogger({ name: 'svc', destination: out });
    log.info({
      req: {
        method: 'POST',
        headers: { authorization: 'Bearer abc.def', cookie: 'sid=42', accept: 'application/json' },
      },
      user: { name: 'ann', password: 'hunter2' },
      nacos: { token: 'tok-123' },
      token: 'top-level-token',
    });
    const text = JSON.stringify(out.lines());
    for (const secret of ['abc.def', 'sid=42', 'hunter2', 'tok-123', 'top-level-token']) {
      expect(text).not.toContain(secret);
    }
    const [line] = out.lines();
    expect(line).toMatchObject({
      req: {
        method: 'POST',
        headers: { authorization: '[Redacted]', cookie: '[Redacted]', accept: 'application/json' },
      },
      user: { name: 'ann', password: '[Redacted]' },
    });
  });

  it('takes the level from the argument, then LOG_LEVEL, then info', () => {
    vi.stubEnv('LOG_LEVEL', 'warn');
    expect(createLogger({ name: 's', destination: capture() }).level).toBe('warn');
    expect(createLogger({ name: 's', level: 'debug', destination: capture() }).level).toBe('debug');
    vi.stubEnv('LOG_LEVEL', '');
    expect(createLogger({ name: 's', destination: capture() }).level).toBe('info');
  });

  it('falls back to info on an unknown LOG_LEVEL and says so', () => {
    vi.stubEnv('LOG_LEVEL', 'verbose');
    const out = capture();
    const log = createLogger({ name: 's', destination: out });
    expect(log.level).toBe('info');
    expect(out.lines()).toEqual([expect.objectContaining({ level: 'warn', LOG_LEVEL: 'verbose' })]);
  });

  it('drops lines below the level', () => {
    const out = capture();
    const log = createLogger({ name: 's', level: 'info', destination: out });
    log.debug('hidden');
    log.info('shown');
    expect(out.lines().map((l) => l['msg'])).toEqual(['shown']);
  });
});

describe('requestLogger', () => {
  it('stamps the request id and trace id on every line', () => {
    const out = capture();
    const log = requestLogger(createLogger({ name: 's', destination: out }), 'req-1', { traceId: 'a'.repeat(32) });
    log.info('one');
    log.warn('two');
    expect(out.lines()).toEqual([
      expect.objectContaining({ requestId: 'req-1', traceId: 'a'.repeat(32), msg: 'one' }),
      expect.objectContaining({ requestId: 'req-1', traceId: 'a'.repeat(32), msg: 'two' }),
    ]);
  });

  it('leaves out an absent trace id and keeps other extra fields', () => {
    const out = capture();
    requestLogger(createLogger({ name: 's', destination: out }), 'req-2', { traceId: undefined, route: '/x' }).info(
      'hi',
    );
    const [line] = out.lines();
    expect(line).toMatchObject({ requestId: 'req-2', route: '/x' });
    expect(line).not.toHaveProperty('traceId');
  });
});
