import { describe, expect, it } from 'vitest';
import { safeErrorMessage } from '../src/index.js';

describe('safeErrorMessage', () => {
  it('prefers the error code', () => {
    expect(
      safeErrorMessage(Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:6379'), { code: 'ECONNREFUSED' })),
    ).toBe('ECONNREFUSED');
    expect(safeErrorMessage({ code: 1045, message: 'Access denied' })).toBe('1045');
  });

  it('uses only the first line of the message, never the stack', () => {
    const err = new Error('pool closed\nat secret/path.js:1:1');
    const text = safeErrorMessage(err);
    expect(text).toBe('pool closed');
    expect(text).not.toContain('at ');
  });

  it('truncates long messages to 120 characters', () => {
    const text = safeErrorMessage(new Error('x'.repeat(500)));
    expect(text).toHaveLength(120);
    expect(text.endsWith('…')).toBe(true);
  });

  it('copes with things that are not errors', () => {
    expect(safeErrorMessage('plain string')).toBe('plain string');
    expect(safeErrorMessage(undefined)).toBe('check failed');
    expect(safeErrorMessage(null)).toBe('check failed');
    expect(safeErrorMessage(new Error(''))).toBe('Error');
    expect(safeErrorMessage({ code: '' })).toBe('check failed');
  });
});
