import { AppError } from '@couponkill/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, implement, queryObject } from '../src/index.js';
import { type Harness, serve } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const contract = defineContract({
  method: 'POST',
  path: '/api/v1/things/:id',
  operationId: 'postThing',
  summary: 'test',
  tags: ['test'],
  auth: 'user',
  request: {
    params: z.strictObject({ id: z.string().regex(/^t\d+$/) }),
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(10).default(5) }),
    headers: z.object({ 'x-mode': z.enum(['fast', 'slow']).default('fast') }),
    body: z.strictObject({ name: z.string().min(1), count: z.int().min(0) }),
  },
  responses: { 200: { description: 'ok' } },
  errors: [],
});

const echo = implement(contract, ({ params, query, headers, body }) => ({
  status: 200,
  // The types are the schemas' outputs: a number, an enum value, the body fields.
  body: { id: params.id, limit: query.limit + 0, mode: headers['x-mode'], name: body.name, count: body.count },
}));

type ErrorJson = { error: { code: string; fields?: Array<{ field: string }> } };
const url = (path: string) => h?.url(path) ?? '';
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url(path), { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('implement: contract routes validate their input', () => {
  it('hands the handler typed, validated params, query, headers and body', async () => {
    h = await serve([echo]);
    const res = await post('/api/v1/things/t1?limit=3', '{"name":"a","count":2}', { 'x-mode': 'slow' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 't1', limit: 3, mode: 'slow', name: 'a', count: 2 });
  });

  it('answers 400 VALIDATION_FAILED naming every bad field of path, query, header or body', async () => {
    h = await serve([echo]);
    const fields = async (res: Response) => ((await res.json()) as ErrorJson).error.fields?.map((f) => f.field);
    const badPath = await post('/api/v1/things/x1', '{"name":"a","count":1}');
    expect(badPath.status).toBe(400);
    expect(await fields(badPath)).toEqual(['path.id']);
    expect(await fields(await post('/api/v1/things/t1?limit=99', '{"name":"a","count":1}'))).toEqual(['query.limit']);
    expect(await fields(await post('/api/v1/things/t1', '{"name":"a","count":1}', { 'x-mode': 'warp' }))).toEqual([
      'header.x-mode',
    ]);
    expect(await fields(await post('/api/v1/things/t1', '{"name":"","count":-1,"extra":1}'))).toEqual([
      'body.name',
      'body.count',
      'body',
    ]);
  });

  it('refuses unknown and repeated query parameters, and a body on a route that takes none', async () => {
    const plain = defineContract({
      ...contract,
      path: '/api/v1/plain',
      request: { query: z.strictObject({ q: z.string().optional() }) },
    });
    h = await serve([echo, implement(plain, ({ query }) => ({ status: 200, body: { q: query.q ?? null } }))]);
    const unknown = await post('/api/v1/things/t1?nope=1', '{"name":"a","count":1}');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as ErrorJson).error.fields?.[0]?.field).toBe('query');
    expect((await post('/api/v1/plain?q=a&q=b', '')).status).toBe(400);
    expect((await post('/api/v1/plain?q=a', '')).status).toBe(200);
    const withBody = await post('/api/v1/plain', '{}');
    expect(withBody.status).toBe(400);
    expect(((await withBody.json()) as ErrorJson).error.fields?.[0]?.field).toBe('body');
  });

  it('checks the caller by the declared audience before it reads or validates the body', async () => {
    const seen: string[] = [];
    h = await serve([echo], {
      authorize: async (auth, headers) => {
        seen.push(auth);
        if (headers['authorization'] !== 'Bearer ok') throw new AppError('UNAUTHENTICATED', 'no');
      },
    });
    // Malformed everything, but anonymous: the answer is 401, not a description of the schema.
    const anonymous = await fetch(url('/api/v1/things/x?nope=1'), { method: 'POST', body: 'not json' });
    expect(anonymous.status).toBe(401);
    const typed = await post('/api/v1/things/t1', '{"name":"a","count":1}', { authorization: 'Bearer ok' });
    expect(typed.status).toBe(200);
    expect(seen).toEqual(['user', 'user']);
  });

  it('keeps prototype keys of the query as plain data', () => {
    const query = queryObject(new URLSearchParams('__proto__=x&constructor=y&a=1&a=2'));
    expect(Object.getPrototypeOf(query)).toBe(Object.prototype);
    expect(Object.keys(query)).toEqual(['__proto__', 'constructor', 'a']);
    expect(query['a']).toEqual(['1', '2']);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});
