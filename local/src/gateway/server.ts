import { createServer, type Server } from 'node:http';
import type { Health } from '@couponkill/health';
import { createHttpFunction, type Route } from '@couponkill/http';
import { type Logger, requestIdFrom } from '@couponkill/logging';
import type { Metrics } from '@couponkill/metrics';
import { proxyTo } from './proxy.js';
import { type RouteEntry, routeFor } from './route-table.js';

export interface GatewayOptions {
  readonly port: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Readiness of the gateway = readiness of everything behind it. */
  readonly health: Health;
  /** Where each function listens. */
  readonly upstreams: ReadonlyMap<string, number>;
  readonly table: readonly RouteEntry[];
  /** The runtime's own routes (`GET /`), served when no function route matches. */
  readonly routes: readonly Route[];
}

/** The local stand-in for the Istio ingress: one port on 127.0.0.1 in front of every function. */
export async function startGateway(options: GatewayOptions): Promise<Server> {
  const own = createHttpFunction({
    name: 'local-gateway',
    logger: options.logger,
    metrics: options.metrics,
    health: options.health,
    routes: options.routes,
  });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const fn = routeFor(options.table, path);
    const port = fn === undefined ? undefined : options.upstreams.get(fn);
    if (port === undefined) {
      void own(req, res);
      return;
    }
    proxyTo(port, req, res, requestIdFrom(req.headers));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return server;
}
