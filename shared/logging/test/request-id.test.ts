import { describe, expect, it } from 'vitest';
import { newRequestId, requestIdFrom } from '../src/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newRequestId', () => {
  it('returns a fresh v4 UUID each time', () => {
    const a = newRequestId();
    expect(a).toMatch(UUID);
    expect(newRequestId()).not.toBe(a);
  });
});

describe('requestIdFrom', () => {
  it.each(['abc', 'A1._:-z', 'req:2024-01-01T00:00:00.000Z', 'x'.repeat(128), '0f8fad5b-d9cb-469f-a165-70867728950e'])(
    'reuses a safe incoming id %s',
    (id) => {
      expect(requestIdFrom({ 'x-request-id': id })).toBe(id);
    },
  );

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['a space', 'a b'],
    ['a header injection', 'abc\r\nset-cookie: x=1'],
    ['a quote', 'a"b'],
    ['a slash', 'a/b'],
    ['non-ASCII', 'é'],
  ])('replaces an id with %s', (_why, id) => {
    const got = requestIdFrom({ 'x-request-id': id });
    expect(got).not.toBe(id);
    expect(got).toMatch(UUID);
  });

  it('generates one when the header is missing', () => {
    expect(requestIdFrom({})).toMatch(UUID);
  });

  it('uses the first of repeated headers', () => {
    expect(requestIdFrom({ 'x-request-id': ['first', 'second'] })).toBe('first');
  });
});
