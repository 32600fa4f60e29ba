import { connect } from 'node:net';
import { isErrorCode } from '@couponkill/errors';
import type { RouteContract } from '@couponkill/http';
import fc from 'fast-check';
import { Agent, request } from 'undici';

/** One malformed request. `raw` ones go over a plain socket: bytes an HTTP client refuses to send. */
export interface FuzzRequest {
  readonly fault: string;
  readonly method: string;
  /** The request target: ASCII (percent-encoded) unless `raw`. */
  readonly target: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly raw?: { readonly declaredLength?: number; readonly chunked?: string };
}

/** What a route is fuzzed with: tokens for each audience, real ids, the function's body cap. */
export interface FuzzTarget {
  readonly contract: RouteContract;
  /** Methods served at the same path by other routes (a changed method must not land on them). */
  readonly otherMethods: readonly string[];
  readonly tokens: {
    readonly user: string;
    readonly admin: string;
    readonly job: string;
    /** Signed by a key nobody publishes. */
    readonly foreign: string;
    readonly expired: string;
  };
  /** A plausible value per path parameter (a real coupon id, …). */
  readonly params: Readonly<Record<string, string>>;
  /** Headers a well-formed request carries besides auth (the CloudEvent attributes of a sink). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly maxBodyBytes: number;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Characters an HTTP client sends as they are in a path segment or a header value. */
const printable = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
const segmentSafe = (s: string) => encodeURIComponent(s);

/** Path parameter values nobody should send: huge, mis-encoded, invalid UTF-8, prototype keys, … */
const badSegment: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1_000, max: 12_000 }).map((n) => 'A'.repeat(n)),
  fc.constantFrom('%', '%E0%A4%A', '%zz', '%C3%28', '%FF%FE', '%ED%A0%80', '%C0%AF', '%00', '%2F..%2F', '%25'),
  fc.constantFrom(...PROTO_KEYS, '..', '.', '%20', "'%20OR%201=1--", '%F0%9F%92%A5', 'null', 'undefined', '-1', '0'),
  fc.string({ maxLength: 64 }).map(segmentSafe),
  fc.string({ unit: 'grapheme', maxLength: 32 }).map(segmentSafe),
  fc.stringMatching(/^[0-9A-Z]{20,40}$/),
);

const badNumber = fc.constantFrom(
  '1e309',
  '-1',
  '0',
  '1.5',
  'NaN',
  'Infinity',
  '99999999999999999999',
  '-0',
  '1e-400',
  '0x10',
  ' 5',
  '',
);

/** A JSON text that is not what the schema wants (built as text, so `__proto__` stays a key). */
function badJsonValue(maxBytes: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.constantFrom('1e309', '-1e309', '9007199254740993', '4294967296', '-2147483649', '1e-400', '-0', '1.0000000001'),
    fc.constantFrom('null', 'true', '[]', '{}', '""', '"\\u0000"', '"\\ud800"'),
    fc
      .oneof(fc.integer({ min: 1_000, max: 4_000 }), fc.constantFrom(maxBytes - 16, maxBytes + 1))
      .map((n) => JSON.stringify('x'.repeat(n))),
    fc.integer({ min: 10, max: 5_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
    fc.integer({ min: 10, max: 2_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
    fc.constantFrom(...PROTO_KEYS).map((k) => `{"${k}":{"polluted":true,"prototype":{"admin":true}}}`),
  );
}

/** Inserts bytes that are not UTF-8 (stray continuation, overlong, lone surrogate, 0xFF). */
function withInvalidUtf8(text: string, at: number, kind: number): Buffer {
  const bytes = Buffer.from(text);
  const bad =
    [
      Buffer.from([0xff]),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from([0x80]),
      Buffer.from([0xe2, 0x82]),
    ][kind % 5] ?? Buffer.from([0xff]);
  const i = Math.min(bytes.length, at % (bytes.length + 1));
  return Buffer.concat([bytes.subarray(0, i), bad, bytes.subarray(i)]);
}

function pathOf(
  contract: RouteContract,
  params: Readonly<Record<string, string>>,
  override?: { name: string; value: string },
): string {
  return contract.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) =>
    override?.name === name ? override.value : segmentSafe(params[name] ?? 'x'),
  );
}

function authHeader(target: FuzzTarget): Record<string, string> {
  const { auth } = target.contract;
  if (auth === 'user') return { authorization: `Bearer ${target.tokens.user}` };
  if (auth === 'admin') return { authorization: `Bearer ${target.tokens.admin}` };
  if (auth === 'job') return { authorization: `Bearer ${target.tokens.job}` };
  return {};
}

/**
 * Malformed requests for one route, each broken in at least one way on purpose, from a base
 * request that is well-formed (the contract's example body, real ids, a valid token): a wrong
 * method, path parameter, query, credential, content type, body or CloudEvent attribute, or
 * bytes no client library sends (raw socket).
 */
export function malformedRequests(target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const { contract } = target;
  const paramNames = [...contract.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? '');
  const takesBody = contract.request.body !== undefined;
  const example = JSON.stringify(contract.bodyExample ?? {});
  const exampleFields = Object.keys(contract.bodyExample ?? {});
  const basePath = pathOf(contract, target.params);
  const baseHeaders: Record<string, string> = {
    ...authHeader(target),
    ...target.headers,
    ...(BODY_METHODS.has(contract.method) ? { 'content-type': 'application/json' } : {}),
  };
  const baseBody = takesBody ? Buffer.from(example) : undefined;
  const req = (fault: string, over: Partial<Omit<FuzzRequest, 'target'>> & { path?: string }): FuzzRequest => ({
    fault,
    method: over.method ?? contract.method,
    target: Buffer.from(over.path ?? basePath),
    headers: over.headers ?? baseHeaders,
    ...(over.body !== undefined ? { body: over.body } : baseBody === undefined ? {} : { body: baseBody }),
    ...(over.raw === undefined ? {} : { raw: over.raw }),
  });
  const withoutBody = (r: FuzzRequest): FuzzRequest => {
    if (r.method !== 'GET' && r.method !== 'HEAD') return r;
    const { body: _dropped, ...rest } = r;
    const { 'content-type': _ct, ...headers } = r.headers;
    return { ...rest, headers };
  };

  const faults: Array<fc.Arbitrary<FuzzRequest>> = [];

  // A method this path does not serve.
  const wrongMethods = METHODS.filter((m) => m !== contract.method && !target.otherMethods.includes(m));
  faults.push(fc.constantFrom(...wrongMethods).map((method) => withoutBody(req('method', { method }))));

  // A bad path parameter, or a path one segment longer.
  if (paramNames.length > 0) {
    faults.push(
      fc
        .tuple(fc.constantFrom(...paramNames), badSegment)
        .map(([name, value]) => req('path', { path: pathOf(contract, target.params, { name, value }) })),
    );
  }
  faults.push(badSegment.map((value) => req('path', { path: `${basePath}/${value}` })));

  // Query parameters the route does not know, repeated, out of range, mis-encoded.
  const queryPart = fc.oneof(
    fc
      .tuple(fc.constantFrom(...PROTO_KEYS, 'limit', 'cursor', 'force', 'username', 'access_token', 'x'), badNumber)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
    fc.tuple(printable(20), printable(40)).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
    fc.constantFrom(
      '%',
      '%E0%A4%A',
      'a[]=1&a[]=2',
      'limit=1&limit=2',
      '__proto__[admin]=1',
      '=',
      '&&&',
      'constructor.prototype.x=1',
    ),
    fc.integer({ min: 1_000, max: 8_000 }).map((n) => `q=${'z'.repeat(n)}`),
  );
  faults.push(
    fc
      .array(queryPart, { minLength: 1, maxLength: 4 })
      // At least one parameter must survive parsing (`&&&` alone is no query at all).
      .filter((parts) => [...new URLSearchParams(parts.join('&'))].length > 0)
      .map((parts) => req('query', { path: `${basePath}?${parts.join('&')}` })),
  );

  // Credentials: none, garbage, a foreign or expired token, the wrong audience, or in the query.
  if (contract.auth === 'user' || contract.auth === 'admin' || contract.auth === 'job') {
    const { authorization: _valid, ...noAuth } = baseHeaders;
    const badAuth = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        'Basic YWRtaW46YWRtaW4=',
        'bearer    ',
        `Bearer ${target.tokens.foreign}`,
        `Bearer ${target.tokens.expired}`,
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsInJvbGVzIjpbImFkbWluIl19.',
        `Bearer ${target.tokens.user}x`,
        `Bearer ${target.tokens.user.split('.').slice(0, 2).join('.')}.`,
      ),
      printable(200).map((s) => `Bearer ${s}`),
      printable(300),
      ...(contract.auth === 'admin' ? [fc.constant(`Bearer ${target.tokens.user}`)] : []),
    );
    faults.push(
      badAuth.map((authorization) =>
        req('auth', { headers: authorization === undefined ? noAuth : { ...noAuth, authorization } }),
      ),
    );
    faults.push(fc.constant(req('auth', { headers: noAuth, path: `${basePath}?access_token=${target.tokens.admin}` })));
  }

  if (BODY_METHODS.has(contract.method)) {
    // A body that is not JSON, or says so.
    const body = baseBody ?? Buffer.from('{}');
    faults.push(
      fc
        .constantFrom(
          undefined,
          '',
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded',
          'application/json; charset=latin1',
          'application/jsonx',
          'json',
          'application/cloudevents-batch',
          '*/*',
        )
        .map((type) => {
          const { 'content-type': _ct, ...rest } = baseHeaders;
          return req('content-type', { headers: type === undefined ? rest : { ...rest, 'content-type': type }, body });
        }),
    );

    // A body that breaks the schema: wrong types, huge, deep, prototype keys, out of range, cut short.
    const fieldBreak =
      exampleFields.length === 0
        ? badJsonValue(target.maxBodyBytes).map((value) => Buffer.from(value))
        : fc.tuple(fc.constantFrom(...exampleFields), badJsonValue(target.maxBodyBytes)).map(([field, value]) => {
            // A marker string in the field's place, swapped for the raw text of the bad value.
            const fields = JSON.parse(example) as Record<string, unknown>;
            fields[field] = '\u0000FUZZ\u0000';
            return Buffer.from(JSON.stringify(fields).replace(JSON.stringify('\u0000FUZZ\u0000'), () => value));
          });
    faults.push(fieldBreak.map((body) => req('body', { body })));
    faults.push(
      fc.tuple(fc.constantFrom(...PROTO_KEYS), fc.jsonValue({ maxDepth: 2 })).map(([key, value]) =>
        req('body', {
          body: Buffer.from(
            `${example.slice(0, -1)}${example.length > 2 ? ',' : ''}"${key}":${JSON.stringify(value)}}`,
          ),
        }),
      ),
    );
    faults.push(
      badJsonValue(target.maxBodyBytes)
        .filter((text) => takesBody || text !== '')
        .map((text) => req('body', { body: Buffer.from(text) })),
    );
    faults.push(
      fc.tuple(fc.nat(), fc.nat(4)).map(([at, kind]) => req('body', { body: withInvalidUtf8(example, at, kind) })),
    );
    if (example.length > 1) {
      faults.push(
        fc
          .integer({ min: 1, max: example.length - 1 })
          .map((cut) => req('body', { body: Buffer.from(example.slice(0, cut)) })),
      );
    }
    faults.push(
      fc
        .integer({ min: target.maxBodyBytes + 1, max: target.maxBodyBytes * 2 })
        .map((n) => req('body', { body: Buffer.from(`{"a":"${'x'.repeat(n)}"}`) })),
    );
    if (takesBody && contract.request.body?.safeParse(undefined).success === false) {
      faults.push(fc.constant(req('body', { body: Buffer.alloc(0) })));
    }
  }

  // CloudEvent attributes: missing, of another version or type, huge, empty.
  if (contract.auth === 'event' && target.headers !== undefined) {
    const attributes = Object.keys(target.headers);
    faults.push(
      fc
        .tuple(
          fc.constantFrom(...attributes),
          fc.oneof(
            fc.constant(undefined),
            fc.constantFrom('', '0.3', '2.0', 'com.couponkill.grab.accepted.v2', 'dev.knative.kafka.event'),
            fc.integer({ min: 129, max: 4_000 }).map((n) => 'i'.repeat(n)),
            printable(60),
          ),
        )
        .map(([name, value]) => {
          const { [name]: _dropped, ...rest } = baseHeaders;
          return req('event-attributes', { headers: value === undefined ? rest : { ...rest, [name]: value } });
        }),
    );
    faults.push(
      fc.jsonValue({ maxDepth: 2 }).map((value) => {
        const rest = Object.fromEntries(Object.entries(baseHeaders).filter(([name]) => !name.startsWith('ce-')));
        return req('event-attributes', {
          headers: { ...rest, 'content-type': 'application/cloudevents+json' },
          body: Buffer.from(JSON.stringify({ specversion: '1.0', data: value })),
        });
      }),
    );
  }

  // Bytes a client library would not send: raw non-ASCII in the path, a body shorter than its
  // Content-Length, a broken chunked encoding. Fewer of them: each costs a connection of its own.
  const raw = fc.oneof(
    // Control characters are not allowed in a header value: the parser refuses the request.
    fc
      .constantFrom('a\u0001b', 'x\u007fy', 'a\u0000b', '\u001b[31m')
      .map((value) => req('raw', { raw: {}, headers: { ...baseHeaders, 'x-fuzz': value } })),
    fc.uint8Array({ minLength: 1, maxLength: 16, min: 0x80 }).map((bytes) => ({
      ...req('raw', { raw: {} }),
      target: Buffer.concat([Buffer.from(basePath), Buffer.from(bytes)]),
    })),
    fc
      .integer({ min: 1, max: 200 })
      .map((extra) =>
        req('raw', { raw: { declaredLength: (baseBody?.length ?? 2) + extra }, body: baseBody ?? Buffer.from('{}') }),
      ),
    fc
      .constantFrom('zz\r\nabc\r\n0\r\n\r\n', '5\r\nab', 'ffffffffffffffff\r\n', '-1\r\n')
      .map((chunked) => req('raw', { raw: { chunked } })),
  );

  return fc.oneof(...faults.map((arbitrary) => ({ arbitrary, weight: 4 })), { arbitrary: raw, weight: 1 });
}

export interface FuzzTally {
  readonly statuses: Record<string, number>;
  readonly faults: Record<string, number>;
  /** Answers that were not the JSON error shape (with what they were), beyond the parser's own. */
  readonly offShape: string[];
  /** The first inputs answered 2xx (well-formed by chance) or not at all, for the report. */
  readonly succeeded: string[];
  readonly inputs: number;
  readonly ms: number;
}

/**
 * Sends the requests `concurrency` at a time over keep-alive connections and counts the answers
 * by status (`closed` = the server closed the connection without an answer).
 */
export async function sendAll(base: string, requests: readonly FuzzRequest[], concurrency: number): Promise<FuzzTally> {
  const url = new URL(base);
  const dispatcher = new Agent({
    connections: concurrency,
    pipelining: 1,
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const statuses: Record<string, number> = {};
  const faults: Record<string, number> = {};
  const offShape: string[] = [];
  const succeeded: string[] = [];
  const started = performance.now();
  const one = async (r: FuzzRequest): Promise<void> => {
    faults[r.fault] = (faults[r.fault] ?? 0) + 1;
    const answer = r.raw === undefined ? await viaClient(base, r, dispatcher) : await viaSocket(url, r);
    const key = answer.status === undefined ? 'closed' : String(answer.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    if ((answer.status === undefined || answer.status < 300) && succeeded.length < 20)
      succeeded.push(
        `${answer.status ?? 'closed'} ${r.fault} ${r.method} ${r.target.toString('latin1').slice(0, 120)}`,
      );
    const problem = shapeProblem(answer, r);
    if (problem !== undefined && offShape.length < 20) offShape.push(problem);
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const r = requests[next++];
        if (r !== undefined) await one(r);
      }
    }),
  );
  await dispatcher.close();
  return { statuses, faults, offShape, succeeded, inputs: requests.length, ms: performance.now() - started };
}

interface Answer {
  readonly status: number | undefined;
  readonly contentType: string;
  readonly body: string;
  readonly parser: boolean;
}

async function viaClient(base: string, r: FuzzRequest, dispatcher: Agent): Promise<Answer> {
  try {
    const response = await request(`${base}${r.target.toString('latin1')}`, {
      method: r.method as 'GET',
      headers: r.headers,
      ...(r.body === undefined ? {} : { body: r.body }),
      dispatcher,
    });
    const body = await response.body.text();
    const type = response.headers['content-type'];
    return { status: response.statusCode, contentType: typeof type === 'string' ? type : '', body, parser: false };
  } catch (err) {
    // The server closed the connection on us (e.g. after a 431 or 413); not an answer.
    return { status: undefined, contentType: '', body: (err as Error).message, parser: true };
  }
}

function viaSocket(url: URL, r: FuzzRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      const head = text.split('\r\n\r\n')[0] ?? '';
      const type = /\r\ncontent-type: ([^\r]*)/i.exec(head)?.[1] ?? '';
      resolve({
        status: status === undefined ? undefined : Number(status),
        contentType: type,
        body: text.slice(head.length + 4),
        parser: type === '',
      });
    });
    const headers = Object.entries(r.headers).filter(
      ([name]) => name !== 'content-length' && name !== 'transfer-encoding',
    );
    const body = r.body ?? Buffer.alloc(0);
    const framing =
      r.raw?.chunked !== undefined
        ? 'transfer-encoding: chunked\r\n'
        : `content-length: ${r.raw?.declaredLength ?? body.length}\r\n`;
    socket.write(
      Buffer.concat([
        Buffer.from(`${r.method} `),
        r.target,
        Buffer.from(` HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n`),
        Buffer.from(headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')),
        Buffer.from(`${framing}\r\n`),
        r.raw?.chunked !== undefined ? Buffer.from(r.raw.chunked) : body,
      ]),
    );
    // Half-close only to cut a body short (a declared length longer than what was sent, a chunk
    // left open); other requests are complete and wait for their answer (`connection: close`).
    if (r.raw?.declaredLength !== undefined || r.raw?.chunked !== undefined) socket.end();
  });
}

/** Why an answer is not what the contract promises for a refusal, or undefined when it is. */
function shapeProblem(answer: Answer, r: FuzzRequest): string | undefined {
  const { status, body } = answer;
  if (status === undefined || status < 400) return undefined;
  // Node's own answer before any handler runs (431 headers too large, a parse error): no body.
  if (body === '' && !answer.contentType.includes('json')) return undefined;
  if (/\n\s+at .+:\d+:\d+/.test(body)) return `${status} with a stack trace for ${r.fault}`;
  // Node's own parser refuses some bytes before any handler runs (400/413/431 with no body).
  if (answer.parser && !answer.contentType.includes('json'))
    return body.trim() === '' ? undefined : `${status} from the parser with a body`;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (r.method === 'HEAD') return undefined;
    if (!isErrorCode(parsed.error?.code) || typeof parsed.error?.message !== 'string')
      return `${status} ${body.slice(0, 200)}`;
    return undefined;
  } catch {
    return r.method === 'HEAD' ? undefined : `${status} not JSON for ${r.fault}: ${body.slice(0, 120)}`;
  }
}

/** `{400: 5123, 401: …}` as a summary line wants it. */
export function formatStatuses(statuses: Record<string, number>): string {
  return `{${Object.entries(statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ')}}`;
}

export function fiveHundreds(statuses: Record<string, number>): number {
  return Object.entries(statuses)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, n]) => sum + n, 0);
}

/** How many malformed inputs per route and event type (`FUZZ_RUNS`, default 10,000). */
export function fuzzRuns(): number {
  const runs = Number(process.env['FUZZ_RUNS'] ?? 10_000);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`FUZZ_RUNS must be a positive integer, got ${process.env['FUZZ_RUNS']}`);
  return runs;
}
