import { describe, expect, it } from 'vitest';
import { traceIdFrom } from '../src/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('traceIdFrom', () => {
  it('returns the trace id of a valid version-00 header', () => {
    expect(traceIdFrom({ traceparent: `00-${TRACE}-${PARENT}-01` })).toBe(TRACE);
    expect(traceIdFrom({ traceparent: `00-${TRACE}-${PARENT}-00` })).toBe(TRACE);
  });

  it('tolerates surrounding whitespace and takes the first repeated header', () => {
    expect(traceIdFrom({ traceparent: `  00-${TRACE}-${PARENT}-01 ` })).toBe(TRACE);
    expect(traceIdFrom({ traceparent: [`00-${TRACE}-${PARENT}-01`, 'junk'] })).toBe(TRACE);
  });

  it('accepts a future version with extra fields after a dash', () => {
    expect(traceIdFrom({ traceparent: `01-${TRACE}-${PARENT}-01-future` })).toBe(TRACE);
    expect(traceIdFrom({ traceparent: `01-${TRACE}-${PARENT}-01` })).toBe(TRACE);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['long parent id', `00-${TRACE}-${PARENT}0-01`],
    ['missing flags', `00-${TRACE}-${PARENT}`],
    ['extra data on version 00', `00-${TRACE}-${PARENT}-01-extra`],
    ['future version glued data', `01-${TRACE}-${PARENT}-01x`],
    ['non-hex', `00-${TRACE.slice(0, 31)}g-${PARENT}-01`],
    ['wrong separators', `00_${TRACE}_${PARENT}_01`],
  ])('ignores a %s header', (_why, traceparent) => {
    expect(traceIdFrom(traceparent === undefined ? {} : { traceparent })).toBeUndefined();
  });
});
