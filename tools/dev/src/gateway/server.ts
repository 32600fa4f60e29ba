import { createServer, type Server } from 'node:http';
import type { Health } from '@couponkill/health';
import { authenticate, type Verify } from '@couponkill/auth';
import { createHttpFunction, type Route, sendError } from '@couponkill/http';
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
  /**
   * Checks a bearer token before a request reaches a function, as the ingress's Istio
   * RequestAuthentication does: a present but invalid token is refused here; a request without
   * one goes on (each function decides whether it needs one, and verifies it again).
   */
  readonly verify?: Verify;
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
    const requestId = requestIdFrom(req.headers);
    if (options.verify === undefined || req.headers.authorization === undefined) {
      proxyTo(port, req, res, requestId);
      return;
    }
    authenticate(options.verify, req.headers).then(
      () => proxyTo(port, req, res, requestId),
      (err: unknown) => sendError(res, err, { requestId, logger: options.logger }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return server;
}
