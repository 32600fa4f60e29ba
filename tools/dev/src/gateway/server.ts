import { createServer, type Server } from 'node:http';
import { authenticate, type Verify } from '@couponkill/auth';
import { type FunctionKit, type Route, sendError } from '@couponkill/http';
import { requestIdFrom } from '@couponkill/logging';
import { proxyTo } from './proxy.js';
import { type RouteEntry, routeFor } from './route-table.js';

export interface GatewayOptions {
  readonly port: number;
  /**
   * Its logger, metrics and health, wired as a function's (`createFunctionKit`); readiness of the
   * gateway = readiness of everything behind it, whose checks the caller adds to the kit's health.
   */
  readonly kit: Pick<FunctionKit, 'logger' | 'handler'>;
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
  const own = options.kit.handler({ routes: options.routes });
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
      (err: unknown) => sendError(res, err, { requestId, logger: options.kit.logger }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return server;
}
