import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newId as ulid } from '../src/index.js';

describe('newId', () => {
  it('makes valid ULIDs whose time part is the given millisecond', () => {
    const now = Date.UTC(2026, 11, 7, 8, 0, 0, 123);
    const id = ulid(now);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(isValid(id)).toBe(true);
    expect(decodeTime(id)).toBe(now);
  });

  it('never repeats, across refills of its random pool', () => {
    const ids = new Set(Array.from({ length: 5000 }, () => ulid()));
    expect(ids.size).toBe(5000);
  });

  it('uses every character of the alphabet in the random part', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) for (const c of ulid().slice(10)) seen.add(c);
    expect(seen.size).toBe(32);
  });
});
