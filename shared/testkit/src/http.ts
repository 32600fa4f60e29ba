import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** A handler served on a local port, and how to stop it. */
export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Serves a `(req, res)` handler on 127.0.0.1 at a free port, as functions-framework would. */
export async function serve(handler: Handler): Promise<Served> {
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A wired function served on a free port: where it listens, and the app (to close its clients). */
export type ServedApp<A = { close(): Promise<void> }> = Served & { readonly app: A };

/** Serves a wired function's handler and keeps the app beside the server. */
export async function serveApp<A extends { readonly handler: Handler }>(app: A): Promise<ServedApp<A>> {
  return { ...(await serve(app.handler)), app };
}

/** A parsed response body, loosely typed on purpose: the assertions check its shape. */
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

/** What a request sends besides its method and path: a body (sent as JSON) and headers. */
export interface JsonRequest {
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** Calls `base + path` the way a client of the API does: a JSON body in, a JSON body (or none) out. */
export async function callJson(
  base: string,
  method: string,
  path: string,
  { body, headers = {} }: JsonRequest = {},
): Promise<JsonReply> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return new JsonReply(response.status, text === '' ? undefined : (JSON.parse(text) as Json), response.headers);
}
