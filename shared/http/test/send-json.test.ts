import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type HeaderValues, sendJson } from '../src/index.js';

/** What a client receives when a server answers with `sendJson` (after `before`, if given). */
async function received(
  status: number,
  body: unknown,
  headers?: HeaderValues,
  before?: (res: ServerResponse) => void,
): Promise<Response> {
  const server = createServer((_req, res) => {
    before?.(res);
    sendJson(res, status, body, headers);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await answer.clone().arrayBuffer();
    return answer;
  } finally {
    server.close();
  }
}

/** A ServerResponse that is never attached to a socket: headers and status are inspectable. */
function response(): ServerResponse {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  res.end = ((..._args: unknown[]) => res) as ServerResponse['end'];
  return res;
}

describe('sendJson', () => {
  it('sets status, JSON content type, no-store and the exact length', async () => {
    const answer = await received(201, { name: '优惠' }, { location: '/c/1' });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength('{"name":"优惠"}')));
    expect(answer.headers.get('location')).toBe('/c/1');
    expect(await answer.json()).toEqual({ name: '优惠' });
  });

  it('lets the caller override cache-control, whatever the case of its name, without a second header', async () => {
    for (const name of ['cache-control', 'Cache-Control']) {
      const answer = await received(200, [], { [name]: 'public, max-age=5' });
      expect(answer.headers.get('cache-control')).toBe('public, max-age=5');
    }
  });

  it('keeps headers set before it, and replaces those it writes itself', async () => {
    const answer = await received(200, { ok: true }, { 'x-extra': '2' }, (res) => {
      res.setHeader('x-request-id', 'r-1');
      res.setHeader('content-type', 'text/plain');
    });
    expect(answer.headers.get('x-request-id')).toBe('r-1');
    expect(answer.headers.get('x-extra')).toBe('2');
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('sends no body and no content type for 204', async () => {
    const answer = await received(204, { ignored: true });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('content-type')).toBeNull();
    expect(await answer.text()).toBe('');
  });

  it('throws before writing anything when the body cannot be serialised', () => {
    const res = response();
    expect(() => sendJson(res, 200, { n: 1n })).toThrow(TypeError);
    expect(res.getHeader('content-type')).toBeUndefined();
    expect(res.statusCode).toBe(200);
  });
});
