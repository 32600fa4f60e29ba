/** A parsed response body, loosely typed on purpose: its reader checks the shape it needs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/**
 * A response: its status and parsed body (undefined when it has none). The headers are a getter,
 * not an own field, so `toEqual({ status, body })` compares only what a test states.
 */
export class JsonReply {
  readonly #headers: Headers;
  constructor(
    readonly status: number,
    readonly body: Json | undefined,
    headers: Headers,
  ) {
    this.#headers = headers;
  }
  get headers(): Headers {
    return this.#headers;
  }
}

/** What a request sends besides its method and path: a body (sent as JSON), headers, and when to give up. */
export interface JsonRequest {
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Calls `base + path` the way a client of the API does: a JSON body in, a JSON body (or none) out. */
export async function callJson(
  base: string,
  method: string,
  path: string,
  { body, headers = {}, signal }: JsonRequest = {},
): Promise<JsonReply> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal === undefined ? {} : { signal }),
  });
  const text = await response.text();
  return new JsonReply(response.status, text === '' ? undefined : (JSON.parse(text) as Json), response.headers);
}

/** `callJson` for a caller that needs it to succeed: the body of a 2xx answer, or an error naming the call. */
export async function callJsonOk<T>(base: string, method: string, path: string, request?: JsonRequest): Promise<T> {
  const reply = await callJson(base, method, path, request);
  if (reply.status < 200 || reply.status > 299) {
    throw new Error(`${method} ${path} failed: HTTP ${reply.status} ${JSON.stringify(reply.body ?? '')}`);
  }
  return reply.body as T;
}
