import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionApp } from '@couponkill/http';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { couponKeys, Sale } from '@couponkill/sale';
import {
  callJson,
  endpoints,
  type JwksFixture,
  serveApp,
  type ServedApp,
  serveJwks,
  uniqueName,
} from '@couponkill/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrabResult } from '../src/app.js';
import { loadGrabResultConfig } from '../src/config.js';

// grab-result served over HTTP against real Redis, with a real sale and real grabs, and tokens
// verified against a JWKS served the way user-auth serves it.
type Running = ServedApp<FunctionApp>;

/** One frame of an event stream: an event, or a comment line. */
interface Frame {
  readonly event?: string;
  readonly id?: string;
  readonly data?: string;
  readonly comment?: string;
}

function parseFrame(raw: string): Frame {
  const frame: { event?: string; id?: string; comment?: string } = {};
  const data: string[] = [];
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    const [, field, value = ''] = /^([a-z]+): ?(.*)$/.exec(line) ?? [];
    if (field === 'event' || field === 'id') frame[field] = value;
    if (field === 'data') data.push(value);
  }
  return data.length === 0 ? frame : { ...frame, data: data.join('\n') };
}

/** Opens an event stream with fetch and reads its body frame by frame, as it arrives. */
async function openStream(url: string, headers: Record<string, string>, signal?: AbortSignal) {
  const response = await fetch(url, { headers, ...(signal === undefined ? {} : { signal }) });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    response,
    /** The next frame, or undefined once the server has ended the stream. */
    async next(): Promise<Frame | undefined> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          return parseFrame(raw);
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += value;
      }
    },
    /** The next event, skipping keep-alive comments. */
    async nextEvent(): Promise<Frame | undefined> {
      for (;;) {
        const frame = await this.next();
        if (frame?.comment === undefined) return frame;
      }
    },
  };
}

/** The value of one unlabelled series of the function's own metrics. */
async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`no metric ${name}`);
  return Number(value);
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('grab-result: a grab as JSON and as an event stream', () => {
  const redis = createRedis(redisOptionsSchema.parse({ url: endpoints().redisUrl }), 'grab-result-test');
  const sale = new Sale(redis);
  const couponId = ulid();
  const alice = uniqueName('alice');
  const bob = uniqueName('bob');
  const grabIds: string[] = [];
  const running: Running[] = [];
  let jwks: JwksFixture;
  let fn: Running;
  let asAlice: Record<string, string>;
  let asBob: Record<string, string>;

  async function start(env: Record<string, string> = {}): Promise<Running> {
    const app = await createGrabResult(
      loadGrabResultConfig({
        REDIS_URL: endpoints().redisUrl,
        ...jwks.env,
        ...env,
      }),
    );
    const served = await serveApp(app);
    running.push(served);
    return served;
  }

  const bearer = (userId: string) => jwks.bearer(userId);

  async function grab(userId: string): Promise<string> {
    const outcome = await sale.grab(couponId, userId);
    if (!outcome.ok) throw new Error(`grab refused: ${outcome.refusal}`);
    grabIds.push(outcome.grabId);
    return outcome.grabId;
  }

  beforeAll(async () => {
    jwks = await serveJwks();
    fn = await start();
    asAlice = await bearer(alice);
    asBob = await bearer(bob);
    await sale.preheat(
      couponId,
      {
        status: 'active',
        type: 'normal',
        perUserLimit: 2,
        startMs: 0,
        endMs: 0,
        totalStock: 5,
      },
      async () => 0,
    );
  });
  afterAll(async () => {
    for (const s of running) {
      await s.app.close(); // ends open streams first, so the server can close
      await s.close();
    }
    await jwks.close();
    await sale.remove(couponId);
    if (grabIds.length > 0) await redis.del(...grabIds.map((id) => couponKeys(couponId).grab(id)));
    redis.disconnect();
  });

  it('shows a grab to its owner, and to nobody else; unknown and malformed ids look the same', async () => {
    const grabId = await grab(alice);
    const own = await callJson(fn.url, 'GET', `/api/v1/grabs/${grabId}`, { headers: asAlice });
    expect(own.status).toBe(200);
    expect(own.headers.get('cache-control')).toBe('no-store');
    expect(own.body).toEqual({ grabId, couponId, status: 'QUEUED', acceptedAt: expect.any(String) });
    expect(Math.abs(Date.parse(own.body?.['acceptedAt'] as string) - Date.now())).toBeLessThan(60_000);

    const hidden = [
      ['another user', grabId, asBob],
      ['an unknown grab', `${couponId}_${ulid()}`, asAlice],
      ['a malformed id', 'not-a-grab', asAlice],
      ['a coupon id alone', couponId, asAlice],
    ] as const;
    const bodies = [];
    for (const [name, id, headers] of hidden) {
      const response = await callJson(fn.url, 'GET', `/api/v1/grabs/${id}`, { headers });
      expect.soft(response.status, name).toBe(404);
      bodies.push({ ...(response.body?.['error'] as object), requestId: undefined });
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a missing or bad token with 401, before looking at the id', async () => {
    const grabId = grabIds[0] ?? '';
    const tokens: Array<Record<string, string>> = [{}, { authorization: 'Bearer abc.def.ghi' }];
    for (const headers of tokens) {
      for (const path of [`/api/v1/grabs/${grabId}`, `/api/v1/grabs/${grabId}/events`, '/api/v1/grabs/nope']) {
        const response = await callJson(fn.url, 'GET', path, { headers });
        expect.soft(response.status, path).toBe(401);
        expect.soft(response.body?.['error']?.code, path).toBe('UNAUTHENTICATED');
      }
    }
  });

  it('answers the event stream of a grab that is not yours with a JSON 404, not a stream', async () => {
    for (const [id, headers] of [
      [grabIds[0] ?? '', asBob],
      ['not-a-grab', asAlice],
    ] as const) {
      const response = await callJson(fn.url, 'GET', `/api/v1/grabs/${id}/events`, { headers });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body?.['error']?.code).toBe('NOT_FOUND');
    }
  });

  it('streams the current state at once, then the success with its order, then ends', async () => {
    const grabId = grabIds[0] ?? '';
    const stream = await openStream(`${fn.url}/api/v1/grabs/${grabId}/events`, asAlice);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    expect(stream.response.headers.get('cache-control')).toBe('no-store');
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');

    const first = await stream.nextEvent();
    expect(first).toMatchObject({ event: 'status', id: 'QUEUED' });
    expect(JSON.parse(first?.data ?? '')).toMatchObject({ grabId, couponId, status: 'QUEUED' });

    expect(await sale.succeed(grabId, alice, 'order-1')).toBe('marked');
    const settled = await stream.nextEvent();
    expect(settled).toMatchObject({ event: 'status', id: 'SUCCEEDED' });
    expect(JSON.parse(settled?.data ?? '')).toMatchObject({ grabId, status: 'SUCCEEDED', orderId: 'order-1' });
    expect(await stream.next()).toBeUndefined(); // the server ended the stream

    expect((await callJson(fn.url, 'GET', `/api/v1/grabs/${grabId}`, { headers: asAlice })).body).toMatchObject({
      status: 'SUCCEEDED',
      orderId: 'order-1',
    });
  });

  it('answers a reconnect (Last-Event-ID) with the current state; a settled grab ends at once', async () => {
    const grabId = grabIds[0] ?? '';
    const stream = await openStream(`${fn.url}/api/v1/grabs/${grabId}/events`, {
      ...asAlice,
      'last-event-id': 'QUEUED',
    });
    expect(await stream.nextEvent()).toMatchObject({ event: 'status', id: 'SUCCEEDED' });
    expect(await stream.next()).toBeUndefined();
  });

  it('streams a failure with its reason, then ends', async () => {
    const grabId = await grab(alice);
    const stream = await openStream(`${fn.url}/api/v1/grabs/${grabId}/events`, asAlice);
    expect(await stream.nextEvent()).toMatchObject({ event: 'status', id: 'QUEUED' });

    expect(await sale.release(grabId, alice, { from: 'QUEUED', to: 'FAILED', reason: 'ORDER_REJECTED' })).toBe(true);
    const failed = await stream.nextEvent();
    expect(failed).toMatchObject({ event: 'status', id: 'FAILED' });
    expect(JSON.parse(failed?.data ?? '')).toMatchObject({ grabId, status: 'FAILED', reason: 'ORDER_REJECTED' });
    expect(await stream.next()).toBeUndefined();
  });

  it('stops polling Redis when the client goes away', async () => {
    const grabId = await grab(alice);
    const client = new AbortController();
    const stream = await openStream(`${fn.url}/api/v1/grabs/${grabId}/events`, asAlice, client.signal);
    expect(await stream.nextEvent()).toMatchObject({ id: 'QUEUED' });
    expect(await metric(fn.url, 'couponkill_grab_result_streams_open')).toBe(1);
    const before = await metric(fn.url, 'couponkill_grab_result_status_polls_total');
    await eventually(async () => (await metric(fn.url, 'couponkill_grab_result_status_polls_total')) > before);

    client.abort();
    await eventually(async () => (await metric(fn.url, 'couponkill_grab_result_streams_open')) === 0);
    const polls = await metric(fn.url, 'couponkill_grab_result_status_polls_total');
    await new Promise((r) => setTimeout(r, 700)); // several poll intervals
    expect(await metric(fn.url, 'couponkill_grab_result_status_polls_total')).toBe(polls);
  });

  it('keeps an idle stream alive with comments and gives up after the maximum duration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-grab-result-'));
    const configFile = join(dir, 'grab-result.yaml');
    writeFileSync(configFile, JSON.stringify({ sse: { keepAliveSeconds: 1 } }));
    const short = await start({ CONFIG_FILE: configFile, SSE_MAX_SECONDS: '2', SSE_POLL_MS: '100' });
    const grabId = grabIds[grabIds.length - 1] ?? ''; // still QUEUED

    const started = Date.now();
    const stream = await openStream(`${short.url}/api/v1/grabs/${grabId}/events`, asAlice);
    expect(await stream.next()).toMatchObject({ event: 'status', id: 'QUEUED' });
    expect(await stream.next()).toEqual({ comment: 'keep-alive' });
    let frame = await stream.next();
    while (frame?.comment !== undefined) frame = await stream.next();
    expect(frame).toMatchObject({ event: 'timeout' });
    expect(JSON.parse(frame?.data ?? '')).toEqual({ grabId, status: 'QUEUED' });
    expect(await stream.next()).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('caps the streams one user holds at once over every instance: one more gets 429, a closed one frees its slot', async () => {
    const capped = [
      await start({ SSE_MAX_STREAMS_PER_USER: '2' }),
      await start({ SSE_MAX_STREAMS_PER_USER: '2' }),
    ] as const;
    const carol = uniqueName('carol');
    const asCarol = await bearer(carol);
    const grabId = await grab(carol); // stays QUEUED: its streams stay open
    const url = (i: 0 | 1) => `${capped[i].url}/api/v1/grabs/${grabId}/events`;
    const first = new AbortController();
    const second = new AbortController();
    const a = await openStream(url(0), asCarol, first.signal);
    const b = await openStream(url(1), asCarol, second.signal);
    expect([a.response.status, b.response.status]).toEqual([200, 200]);
    expect(await a.nextEvent()).toMatchObject({ id: 'QUEUED' });
    expect(await b.nextEvent()).toMatchObject({ id: 'QUEUED' });

    for (const i of [0, 1] as const) {
      const refused = await callJson(capped[i].url, 'GET', `/api/v1/grabs/${grabId}/events`, { headers: asCarol });
      expect(refused.status).toBe(429);
      expect(refused.body?.['error']?.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Another user is not affected.
    const dave = uniqueName('dave');
    const daveGrab = await grab(dave);
    const other = new AbortController();
    const d = await openStream(`${capped[0].url}/api/v1/grabs/${daveGrab}/events`, await bearer(dave), other.signal);
    expect(d.response.status).toBe(200);
    other.abort();

    first.abort();
    await eventually(async () => (await metric(capped[0].url, 'couponkill_grab_result_streams_open')) === 0);
    const again = new AbortController();
    const c = await openStream(url(0), asCarol, again.signal);
    expect(c.response.status).toBe(200);
    again.abort();
    second.abort();
  });
});
