import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealth, type Health } from '@couponkill/health';
import { createLogger, type Logger } from '@couponkill/logging';
import { createMetrics, type Metrics } from '@couponkill/metrics';
import { createHttpFunction, type HttpFunctionOptions, type Route } from '../src/index.js';

export interface Harness {
  readonly url: (path: string) => string;
  readonly close: () => Promise<void>;
  readonly logs: () => Record<string, unknown>[];
  readonly logText: () => string;
  readonly health: Health;
  readonly metrics: Metrics;
}

/** A debug-level logger writing into memory, so tests can assert on what was (not) logged. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    name: 'test-fn',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, lines };
}

/**
 * Serves `createHttpFunction` on 127.0.0.1 with an ephemeral port. `wrap` lets a test put
 * something in front of the handler, e.g. an Express-like body parser.
 */
export async function serve(
  routes: readonly Route[],
  options: Partial<Pick<HttpFunctionOptions, 'maxBodyBytes' | 'authorize' | 'shortcut' | 'direct'>> & {
    readonly wrap?: (handler: RequestListener) => RequestListener;
  } = {},
): Promise<Harness> {
  const { logger, lines } = memoryLogger();
  const health = createHealth({ cacheMs: 0, timeoutMs: 50 });
  const metrics = createMetrics({ service: 'test-fn', collectDefault: false });
  const handler = createHttpFunction({
    name: 'test-fn',
    logger,
    metrics,
    health,
    routes,
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.authorize === undefined ? {} : { authorize: options.authorize }),
    ...(options.shortcut === undefined ? {} : { shortcut: options.shortcut }),
    ...(options.direct === undefined ? {} : { direct: options.direct }),
  });
  const listener: RequestListener = (req, res) => void handler(req, res);
  const server = createServer(options.wrap === undefined ? listener : options.wrap(listener));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => lines.join(''),
    health,
    metrics,
  };
}
