import type { HttpFunction } from '@google-cloud/functions-framework';

/**
 * The handlers `serveFunction` registered in this process, by name. `serveFunction` also
 * registers each with `ff.http`, so the stock functions-framework server finds it as before; the
 * host reads it here, which spares it `@google-cloud/functions-framework/testing` (Express, body
 * parsers, node:domain) on every start.
 */
const handlers = new Map<string, HttpFunction>();

export function recordHandler(name: string, handler: HttpFunction): void {
  handlers.set(name, handler);
}

export function recordedHandler(name: string): HttpFunction | undefined {
  return handlers.get(name);
}
