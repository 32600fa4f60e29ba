import type { IncomingMessage, RequestListener } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Route } from '../src/index.js';
import { serve, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

/** Echoes the parsed body back, so tests see exactly what the handler got. */
function echo(method: Route['method'] = 'POST'): Route {
  return { method, path: '/echo', handler: ({ body }) => ({ status: 200, body: { body: body ?? null } }) };
}

const json = { 'content-type': 'application/json' };

describe('request bodies', () => {
  it('parses a JSON body', async () => {
    h = await serve([echo()]);
    const res = await fetch(h.url('/echo'), { method: 'POST', headers: json, body: '{"qty":1,"tags":["a"]}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: { qty: 1, tags: ['a'] } });
  });

  it('accepts +json media types and an explicit utf-8 charset', async () => {
    h = await serve([echo('PATCH')]);
    for (const type of ['application/merge-patch+json', 'Application/JSON; charset=UTF-8']) {
      const res = await fetch(h.url('/echo'), {
        method: 'PATCH',
        headers: { 'content-type': type },
        body: '{"a":"é"}',
      });
      expect(res.status, type).toBe(200);
      expect(await res.json()).toEqual({ body: { a: 'é' } });
    }
  });

  it('gives the handler undefined when there is no body', async () => {
    h = await serve([echo()]);
    const res = await fetch(h.url('/echo'), { method: 'POST' });
    expect(await res.json()).toEqual({ body: null });
  });

  it('ignores a body on GET', async () => {
    h = await serve([echo('GET')]);
    const res = await fetch(h.url('/echo'));
    expect(await res.json()).toEqual({ body: null });
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
    ['JSON in another charset', 'application/json; charset=latin1'],
  ])('answers %s with 415', async (_why, type) => {
    h = await serve([echo()]);
    const res = await fetch(h.url('/echo'), { method: 'POST', headers: { 'content-type': type }, body: '{}' });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('answers a body without a content type with 415', async () => {
    h = await serve([echo()]);
    // A Uint8Array body makes fetch send no content-type at all.
    const res = await fetch(h.url('/echo'), { method: 'POST', body: new TextEncoder().encode('{}') });
    expect(res.status).toBe(415);
  });

  it('answers invalid JSON with 400', async () => {
    h = await serve([echo()]);
    for (const body of ['{"qty":', 'not json', '{"a":1}}']) {
      const res = await fetch(h.url('/echo'), { method: 'POST', headers: json, body });
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    }
  });

  it('answers bytes that are not UTF-8 with 400', async () => {
    h = await serve([echo()]);
    const res = await fetch(h.url('/echo'), {
      method: 'POST',
      headers: json,
      body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]),
    });
    expect(res.status).toBe(400);
  });

  it('answers a body over the limit with 413 from its Content-Length, without reading it', async () => {
    h = await serve([echo()], { maxBodyBytes: 1024 });
    const res = await fetch(h.url('/echo'), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ pad: 'x'.repeat(4 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('stops reading a chunked body once it passes the limit', async () => {
    h = await serve([echo()], { maxBodyBytes: 1024 });
    let pulled = 0;
    const chunk = new TextEncoder().encode(`"${'x'.repeat(16 * 1024)}"`);
    // 64 MiB on offer; the server must answer long before the client could send it all.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (++pulled > 4096) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await fetch(h.url('/echo'), { method: 'POST', headers: json, body, duplex: 'half' });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(pulled).toBeLessThan(4096);
  });

  it('accepts a body exactly at the limit', async () => {
    const payload = JSON.stringify({ pad: 'x'.repeat(100) });
    h = await serve([echo()], { maxBodyBytes: Buffer.byteLength(payload) });
    const res = await fetch(h.url('/echo'), { method: 'POST', headers: json, body: payload });
    expect(res.status).toBe(200);
  });
});

/**
 * What functions-framework does before our handler runs: Express's JSON parser consumes the
 * stream, sets `req.body` and keeps the bytes as `req.rawBody`.
 */
function expressLike(options: { keepRaw: boolean }) {
  return (next: RequestListener): RequestListener =>
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const parsed = req as IncomingMessage & { body?: unknown; rawBody?: Buffer };
        if (raw.length > 0) parsed.body = JSON.parse(raw.toString('utf8')) as unknown;
        if (options.keepRaw) parsed.rawBody = raw;
        next(req, res);
      });
    };
}

describe('bodies already parsed by functions-framework', () => {
  it('uses req.body and checks the size of req.rawBody', async () => {
    h = await serve([echo()], { maxBodyBytes: 64, wrap: expressLike({ keepRaw: true }) });
    const ok = await fetch(h.url('/echo'), { method: 'POST', headers: json, body: '{"qty":2}' });
    expect(await ok.json()).toEqual({ body: { qty: 2 } });

    const big = await fetch(h.url('/echo'), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ pad: 'x'.repeat(100) }),
    });
    expect(big.status).toBe(413);
  });

  it('treats an empty chunked body as no body', async () => {
    h = await serve([echo()], { wrap: expressLike({ keepRaw: true }) });
    const empty = new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
    const res = await fetch(h.url('/echo'), { method: 'POST', headers: json, body: empty, duplex: 'half' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: null });
  });

  it('measures the parsed value when the raw bytes were not kept', async () => {
    h = await serve([echo()], { maxBodyBytes: 64, wrap: expressLike({ keepRaw: false }) });
    const ok = await fetch(h.url('/echo'), { method: 'POST', headers: json, body: '{"qty":3}' });
    expect(await ok.json()).toEqual({ body: { qty: 3 } });

    const big = await fetch(h.url('/echo'), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ pad: 'x'.repeat(100) }),
    });
    expect(big.status).toBe(413);
  });
});
