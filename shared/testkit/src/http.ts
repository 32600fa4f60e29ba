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

// The JSON client lives in @couponkill/http (the dev tools call the API with it too); tests take it from here.
export { callJson, type Json, JsonReply, type JsonRequest } from '@couponkill/http';
