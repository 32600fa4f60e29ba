import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, errorBody, isErrorCode, statusOf, toAppError, validationError } from '../src/index.js';

describe('error codes', () => {
  it('map to the statuses clients rely on', () => {
    expect(statusOf('SOLD_OUT')).toBe(409);
    expect(statusOf('NOT_STARTED')).toBe(425);
    expect(statusOf('ENDED')).toBe(410);
    expect(statusOf('RATE_LIMITED')).toBe(429);
    expect(statusOf('UNAUTHENTICATED')).toBe(401);
    expect(statusOf('VALIDATION_FAILED')).toBe(400);
  });

  it('never map a client mistake to a 5xx', () => {
    const clientCodes = Object.entries(ERROR_CODES).filter(
      ([code]) => !['INTERNAL', 'UNAVAILABLE', 'TIMEOUT'].includes(code),
    );
    for (const [, status] of clientCodes) expect(status).toBeLessThan(500);
  });

  it('recognise only codes of the closed set', () => {
    expect(isErrorCode('SOLD_OUT')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});

describe('errorBody', () => {
  it('shows an AppError as it is, with the request id and fields', () => {
    const error = new AppError('LIMIT_REACHED', 'You already hold 2 of this coupon.');
    expect(errorBody(error, 'req-1')).toEqual({
      error: { code: 'LIMIT_REACHED', message: 'You already hold 2 of this coupon.', requestId: 'req-1' },
    });
  });

  it('hides anything else behind INTERNAL and a generic message', () => {
    const body = errorBody(new Error('ECONNREFUSED 10.0.0.7:3306 password=hunter2'));
    expect(body.error.code).toBe('INTERNAL');
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(JSON.stringify(body)).not.toContain('3306');
    expect(toAppError('a string').code).toBe('INTERNAL');
  });

  it('keeps the original error as the cause for the logs', () => {
    const original = new Error('boom');
    expect(toAppError(original).cause).toBe(original);
  });
});

describe('validationError', () => {
  it('lists every bad field under the part of the request it came from', () => {
    const error = validationError('body', [
      { path: ['window', 'start'], message: 'Invalid datetime' },
      { path: ['stock'], message: 'Too small' },
    ]);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.fields).toEqual([
      { field: 'body.window.start', message: 'Invalid datetime' },
      { field: 'body.stock', message: 'Too small' },
    ]);
    expect(error.message).toBe('Invalid body: body.window.start, body.stock');
  });

  it('carries Retry-After seconds for rate limits', () => {
    expect(new AppError('RATE_LIMITED', 'Slow down.', { retryAfterSeconds: 2 }).retryAfterSeconds).toBe(2);
  });
});
