import { describe, expect, it } from 'vitest';
import { SoldOutMarks } from '../src/sold-out.js';

describe('SoldOutMarks', () => {
  it('answers sold out from memory for the mark’s lifetime, then asks again', () => {
    const marks = new SoldOutMarks(1000);
    expect(marks.isSoldOut('c1', 0)).toBe(false);
    marks.mark('c1', 0);
    expect(marks.isSoldOut('c1', 999)).toBe(true);
    expect(marks.isSoldOut('c2', 999)).toBe(false);
    expect(marks.isSoldOut('c1', 1000)).toBe(false); // stock may have come back: ask Redis
  });

  it('never marks when the lifetime is 0 (the flag switched off)', () => {
    const marks = new SoldOutMarks(0);
    marks.mark('c1', 0);
    expect(marks.isSoldOut('c1', 0)).toBe(false);
  });
});
