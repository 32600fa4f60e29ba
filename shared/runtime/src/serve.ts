import { http, type HttpFunction } from '@google-cloud/functions-framework';
import { loadOrExit } from '@couponkill/config';
import { recordHandler } from './registry.js';

/**
 * What a function's `index.ts` does: loads its configuration (an invalid one stops startup with
 * one line), wires the function from it and registers its handler under the function's name, for
 * the host to serve (FUNCTION_TARGET): with functions-framework (`ff.http`), which its own server
 * reads, and in this package's registry, which the image host reads.
 */
export async function serveFunction<Config>(
  name: string,
  load: () => Config,
  create: (config: Config) => Promise<{ readonly handler: HttpFunction }>,
): Promise<void> {
  const app = await create(loadOrExit(load));
  recordHandler(name, app.handler);
  http(name, app.handler);
}
