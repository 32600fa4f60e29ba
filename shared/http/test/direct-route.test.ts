import { AppError } from '@couponkill/errors';
import { afterEach, describe, expect, it } from 'vitest';
import type { DirectRoute, Route, RouteReply } from '../src/index.js';
import { serve, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const GONE = new AppError('SOLD_OUT', 'This thing is gone.');

/** The reply for a thing id: `gone` is refused, anything else accepted. */
function replyFor(id: string): RouteReply {
  if (id === 'gone') throw GONE;
  return { status: 202, body: { id }, headers: { location: `/things/${id}` } };
}

/** The route the direct path stands for; it records who served each request. */
function things(seen: string[]): Route[] {
  return [
    {
      method: 'POST',
      path: '/things/:id',
      handler: ({ params }) => {
        seen.push(`route ${params['id']}`);
        return replyFor(params['id'] ?? '');
      },
    },
  ];
}

/** Takes `POST /things/<id>` without a query; `/things/boom` breaks its check. */
function direct(seen: string[]): DirectRoute {
  return {
    route: '/things/:id',
    accepts: (req) => {
      if (req.url === '/things/boom') throw new Error('a bug in the check');
      return req.method === 'POST' && /^\/things\/[a-z]+$/.test(req.url ?? '');
    },
    handle: async ({ req, requestId }) => {
      const id = (req.url ?? '').slice('/things/'.length);
      seen.push(`direct ${id} ${requestId}`);
      return replyFor(id);
    },
  };
}

async function answer(path: string, on: Harness = h) {
  const res = await fetch(on.url(path), { method: 'POST', headers: { 'x-request-id': 'r-1' } });
  const wanted = ['x-request-id', 'cache-control', 'content-type', 'content-length', 'location', 'retry-after'];
  return {
    status: res.status,
    headers: Object.fromEntries(wanted.map((name) => [name, res.headers.get(name)])),
    body: await res.text(),
  };
}

describe('direct route', () => {
  it('answers what the route answers, replies and refusals alike, without routing', async () => {
    const seenNormal: string[] = [];
    const normal = await serve(things(seenNormal));
    const viaRoute = {
      accepted: await answer('/things/one', normal),
      refused: await answer('/things/gone', normal),
    };
    await normal.close();

    const seen: string[] = [];
    h = await serve(things(seen), { direct: direct(seen) });
    expect(await answer('/things/one')).toEqual(viaRoute.accepted);
    expect(await answer('/things/gone')).toEqual(viaRoute.refused);
    expect(viaRoute.accepted.status).toBe(202);
    expect(viaRoute.refused.status).toBe(409);
    expect(seen).toEqual(['direct one r-1', 'direct gone r-1']);
    expect(seenNormal).toEqual(['route one', 'route gone']);
  });

  it('leaves requests it does not accept to the router', async () => {
    const seen: string[] = [];
    h = await serve(things(seen), { direct: direct(seen) });
    expect((await answer('/things/two?x=1')).status).toBe(202);
    expect((await answer('/things/Three')).status).toBe(202);
    expect(seen).toEqual(['route two', 'route Three']);
  });

  it('counts and logs its answers under the route it stands for', async () => {
    h = await serve(things([]), { direct: direct([]) });
    await answer('/things/one');
    await answer('/things/gone');
    await answer('/things/gone?via=router');
    const text = (await h.metrics.render()).body;
    expect(text).toMatch(/couponkill_http_requests_total\{[^}]*route="\/things\/:id"[^}]*status="202"[^}]*\} 1/);
    expect(text).toMatch(/couponkill_http_requests_total\{[^}]*route="\/things\/:id"[^}]*status="409"[^}]*\} 2/);
    const refused = h.logs().filter((l) => l['msg'] === 'request refused');
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ code: 'SOLD_OUT', status: 409, requestId: 'r-1' });
  });

  it('sends the request to the router when its check throws', async () => {
    const seen: string[] = [];
    h = await serve(
      [
        {
          method: 'POST',
          path: '/things/:id',
          handler: ({ params }) => (seen.push(`route ${params['id']}`), replyFor('x')),
        },
      ],
      { direct: direct(seen) },
    );
    expect((await answer('/things/boom')).status).toBe(202);
    expect(seen).toEqual(['route boom']);
    expect(h.logs().find((l) => l['msg'] === 'direct route check failed')).toMatchObject({ level: 'error' });
  });

  it('answers a failure inside the handler with the error model, never a bare 500', async () => {
    h = await serve(things([]), {
      direct: { route: '/things/:id', accepts: () => true, handle: async () => Promise.reject(new Error('bug')) },
    });
    const res = await answer('/things/one');
    expect(res.status).toBe(500);
    expect(res.headers['x-request-id']).toBe('r-1');
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'INTERNAL', requestId: 'r-1' } });
  });
});
