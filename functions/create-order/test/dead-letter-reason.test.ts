import { describe, expect, it } from 'vitest';
import { deadLetterReason } from '../src/handlers.js';

describe('deadLetterReason', () => {
  it('reads the status and the last answer Knative attaches to a dead letter', () => {
    const data = Buffer.from('{"error":{"code":"VALIDATION_FAILED"}}').toString('base64');
    expect(deadLetterReason('422', data)).toBe('HTTP 422: {"error":{"code":"VALIDATION_FAILED"}}');
  });

  it('still says something when the source attached nothing', () => {
    expect(deadLetterReason(undefined, undefined)).toBe('dead-lettered');
    expect(deadLetterReason('503', undefined)).toBe('HTTP 503');
  });
});
