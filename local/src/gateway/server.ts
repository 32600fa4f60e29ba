import { createServer, type Server } from 'node:http';
import type { Health } from '@couponkill/health';
import { createHttpFunction, type Route } from '@couponkill/http';
import type { Logger } from '@couponkill/logging';
import type { Metrics } from '@couponkill/metrics';

export interface GatewayOptions {
  readonly port: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Readiness of the gateway = readiness of everything behind it. */
  readonly health: Health;
  /** Status routes of the local runtime (`GET /`); function routes join as functions arrive. */
  readonly routes: readonly Route[];
}

/** The local stand-in for the Istio ingress: one port on 127.0.0.1 in front of the system. */
export async function startGateway(options: GatewayOptions): Promise<Server> {
  const handler = createHttpFunction({
    name: 'local-gateway',
    logger: options.logger,
    metrics: options.metrics,
    health: options.health,
    routes: options.routes,
  });
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return server;
}
