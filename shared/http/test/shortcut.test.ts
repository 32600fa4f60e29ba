import { AppError } from '@couponkill/errors';
import { afterEach, describe, expect, it } from 'vitest';
import type { Route, Shortcut } from '../src/index.js';
import { serve, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const GONE = new AppError('SOLD_OUT', 'This "thing" is gone.');
const BUSY = new AppError('UNAVAILABLE', 'Busy; retry.', { retryAfterSeconds: 1.2 });

/** One route that refuses with the error named by the path, so the normal path's answer is at hand. */
function refusing(seen: string[]): Route[] {
  return [
    {
      method: 'POST',
      path: '/things/:id',
      handler: ({ params }) => {
        seen.push(`route ${params['id']}`);
        throw params['id'] === 'busy' ? BUSY : GONE;
      },
    },
  ];
}

/** Refuses `/things/gone` and `/things/busy` in the shortcut when the `fast` header is set. */
function shortcut(seen: string[]): Shortcut {
  return {
    route: '/things/:id',
    check: (req) => {
      seen.push(`check ${req.url}`);
      if (req.headers['fast'] === undefined) return undefined;
      if (req.url === '/things/boom') throw new Error('a bug in the check');
      return req.url === '/things/busy' ? BUSY : req.url === '/things/gone' ? GONE : undefined;
    },
  };
}

async function answer(path: string, headers: Record<string, string>) {
  const res = await fetch(h.url(path), { method: 'POST', headers: { 'x-request-id': 'r-1', ...headers } });
  const wanted = ['x-request-id', 'cache-control', 'content-type', 'content-length', 'retry-after'];
  return {
    status: res.status,
    headers: Object.fromEntries(wanted.map((name) => [name, res.headers.get(name)])),
    body: await res.text(),
  };
}

describe('shortcut', () => {
  it('answers exactly as the normal path does, without routing', async () => {
    const seen: string[] = [];
    h = await serve(refusing(seen), { shortcut: shortcut(seen) });
    for (const path of ['/things/gone', '/things/busy']) {
      const normal = await answer(path, {});
      const short = await answer(path, { fast: '1' });
      expect(short).toEqual(normal);
    }
    expect(seen).toEqual([
      'check /things/gone',
      'route gone',
      'check /things/gone',
      'check /things/busy',
      'route busy',
      'check /things/busy',
    ]);
    const busy = await answer('/things/busy', { fast: '1' });
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('2');
    expect(JSON.parse(busy.body)).toEqual({
      error: { code: 'UNAVAILABLE', message: 'Busy; retry.', requestId: 'r-1' },
    });
  });

  it('makes a request id when the caller sent none or an unsafe one', async () => {
    h = await serve(refusing([]), { shortcut: shortcut([]) });
    const res = await fetch(h.url('/things/gone'), { method: 'POST', headers: { fast: '1', 'x-request-id': 'a "b"' } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(await res.text())).toEqual({ error: { code: 'SOLD_OUT', message: GONE.message, requestId: id } });
  });

  it('counts its answers under the route they stand for and logs them as refusals', async () => {
    h = await serve(refusing([]), { shortcut: shortcut([]) });
    await answer('/things/gone', { fast: '1' });
    await answer('/things/gone', {});
    const text = (await h.metrics.render()).body;
    expect(text).toMatch(/couponkill_http_requests_total\{[^}]*route="\/things\/:id"[^}]*status="409"[^}]*\} 2/);
    const refused = h.logs().filter((l) => l['msg'] === 'request refused');
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ code: 'SOLD_OUT', status: 409, requestId: 'r-1' });
    // A refusal the normal path logs at another level is logged the same way from the shortcut.
    await answer('/things/busy', { fast: '1' });
    await answer('/things/busy', {});
    const shed = h.logs().filter((l) => l['msg'] === 'request shed');
    expect(shed).toHaveLength(2);
    expect(shed[0]).toMatchObject({ level: 'info', code: 'UNAVAILABLE', status: 503 });
  });

  it('leaves a body that may pass the cap to the normal way, which refuses it with 413', async () => {
    const seen: string[] = [];
    h = await serve(refusing(seen), { shortcut: shortcut(seen), maxBodyBytes: 16 });
    const big = await fetch(h.url('/things/gone'), {
      method: 'POST',
      headers: { fast: '1', 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(64) }),
    });
    expect(big.status).toBe(413);
    const small = await fetch(h.url('/things/gone'), {
      method: 'POST',
      headers: { fast: '1', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(small.status).toBe(409);
    expect(seen).toEqual(['check /things/gone']);
  });

  it('serves the request the normal way when the check throws', async () => {
    const seen: string[] = [];
    h = await serve(refusing(seen), { shortcut: shortcut(seen) });
    const res = await answer('/things/boom', { fast: '1' });
    expect(res.status).toBe(409);
    expect(seen).toEqual(['check /things/boom', 'route boom']);
    expect(h.logs().find((l) => l['msg'] === 'shortcut check failed')).toMatchObject({ level: 'error' });
  });
});
