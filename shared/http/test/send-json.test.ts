import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sendJson } from '../src/index.js';

/** A ServerResponse that is never attached to a socket: headers and status are inspectable. */
function response(): ServerResponse {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  res.end = ((..._args: unknown[]) => res) as ServerResponse['end'];
  return res;
}

describe('sendJson', () => {
  it('sets status, JSON content type, no-store and the exact length', () => {
    const res = response();
    sendJson(res, 201, { name: '优惠' }, { location: '/c/1' });
    expect(res.statusCode).toBe(201);
    expect(res.getHeader('content-type')).toBe('application/json; charset=utf-8');
    expect(res.getHeader('cache-control')).toBe('no-store');
    expect(res.getHeader('content-length')).toBe(Buffer.byteLength('{"name":"优惠"}'));
    expect(res.getHeader('location')).toBe('/c/1');
  });

  it('lets the caller override cache-control', () => {
    const res = response();
    sendJson(res, 200, [], { 'cache-control': 'public, max-age=5' });
    expect(res.getHeader('cache-control')).toBe('public, max-age=5');
  });

  it('throws before writing anything when the body cannot be serialised', () => {
    const res = response();
    expect(() => sendJson(res, 200, { n: 1n })).toThrow(TypeError);
    expect(res.getHeader('content-type')).toBeUndefined();
    expect(res.statusCode).toBe(200);
  });
});
