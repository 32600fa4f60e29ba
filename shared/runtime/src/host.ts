import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { recordedHandler } from './registry.js';

// node:http as its CommonJS object, not `import … from 'node:http'`: the ES module facade of a
// builtin reads every export, and node:http's WebSocket, CloseEvent and MessageEvent getters load
// undici, some 35 ms at every start for classes the host never uses.
const { createServer } = process.getBuiltinModule('node:http');

export interface HostOptions {
  /** The name the function registered with `ff.http(name, …)` (FUNCTION_TARGET). */
  readonly target: string;
  /** The module that registers it (FUNCTION_SOURCE), relative to the working directory. */
  readonly source: string;
  readonly port: number;
  /** 0.0.0.0 in a container; 127.0.0.1 for local runs. */
  readonly host: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Serves a function registered through the functions-framework API on plain node:http.
 *
 * Why not the framework's own server: it runs the request through Express body parsers first,
 * which answer malformed JSON with an HTML error page before our handler sees the request, and
 * cost throughput on the grab path. Functions keep registering with `ff.http`, so either host
 * runs the same module; the images use this one.
 */
export async function startHost(options: HostOptions): Promise<Server> {
  const fn = await loadFunction(options);
  const server = createServer((req, res) => void fn(req, res));
  // Longer than the idle timeout of the proxies in front (Knative's queue-proxy, Envoy), so they
  // close idle connections first and never send a request into a socket we are closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host, done);
  });
  return server;
}

/**
 * Imports the function's module, which wires it from its configuration (and, with
 * MIGRATE_ON_START, applies its migrations), and returns the registered handler: the one
 * `serveFunction` recorded, or else one the module registered with `ff.http` itself (read through
 * functions-framework's testing API, loaded only then: it brings Express along).
 */
export async function loadFunction(options: Pick<HostOptions, 'target' | 'source'>): Promise<Handler> {
  await import(pathToFileURL(resolve(options.source)).href);
  const fn = (recordedHandler(options.target) ?? (await registeredWithFramework(options.target))) as
    Handler | undefined;
  if (fn === undefined)
    throw new Error(`${options.source} registers no function named "${options.target}" (FUNCTION_TARGET)`);
  return fn;
}

async function registeredWithFramework(target: string): Promise<unknown> {
  const { getFunction } = await import('@google-cloud/functions-framework/testing');
  return getFunction(target);
}

/** Stops accepting connections and waits (bounded) for requests in flight to finish. */
export async function stopHost(server: Server, graceMs = 10_000): Promise<void> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}
