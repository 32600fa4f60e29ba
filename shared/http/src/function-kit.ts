import { createHealth, type Health } from '@couponkill/health';
import { createLogger, type Logger } from '@couponkill/logging';
import { createMetrics, type Metrics } from '@couponkill/metrics';
import { z } from 'zod';

import { createHttpFunction, type HttpFunctionOptions } from './http-function.js';
import type { HttpFunction } from './types.js';

/** A wired HTTP function: what `ff.http` registers, and how to release its clients. */
export interface FunctionApp {
  readonly handler: HttpFunction;
  close(): Promise<void>;
}

/** How long a readiness check may take, and how long its answer is reused. */
const HEALTH_CHECK_TIMEOUT_MS = 1000;
const HEALTH_CACHE_MS = 1000;

/** The logger, metrics registry and health checks every function starts with. */
export interface FunctionKit {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: Health;
  /** The function's `(req, res)` handler over its routes, with this kit's name, logger, metrics and health. */
  handler(options: Omit<HttpFunctionOptions, 'name' | 'logger' | 'metrics' | 'health'>): HttpFunction;
}

/**
 * The kit of the function `name`. A caller that is not a function (the dev runtime's gateway, a
 * test) may bring its own logger, metrics or health; what it leaves out is made as for a function.
 */
export function createFunctionKit(
  name: string,
  parts: Partial<Pick<FunctionKit, 'logger' | 'metrics' | 'health'>> = {},
): FunctionKit {
  const logger = parts.logger ?? createLogger({ name });
  const metrics = parts.metrics ?? createMetrics({ service: name });
  const health = parts.health ?? createHealth({ timeoutMs: HEALTH_CHECK_TIMEOUT_MS, cacheMs: HEALTH_CACHE_MS });
  return {
    logger,
    metrics,
    health,
    handler: (options) => createHttpFunction({ name, logger, metrics, health, ...options }),
  };
}

/** A client a function holds: stores and streams close, a Redis client disconnects. */
export type Releasable = { close(): unknown } | { disconnect(): unknown };

/** A `close()` that releases the function's clients one after the other, in the order given. */
export function closeAll(...clients: readonly Releasable[]): () => Promise<void> {
  return async () => {
    for (const client of clients) await ('close' in client ? client.close() : client.disconnect());
  };
}

/** How many proxies in front append to X-Forwarded-For (the Istio ingress gateway: 1); see `clientIp`. */
export const trustedProxyHopsSchema = z.number().int().min(0).max(5).default(1);

/**
 * The client address as the first trusted proxy saw it. Behind the ingress each proxy appends
 * the address it received from to `X-Forwarded-For`; with `trustedHops` proxies in front, the
 * entry they added is the client. Entries before it are whatever the client chose to send.
 */
export function clientIp(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  socketAddress: string | undefined,
  trustedHops: number,
): string {
  const forwarded = headers['x-forwarded-for'];
  if (forwarded === undefined || trustedHops <= 0) return socketAddress ?? 'unknown';
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (hops.length > 0) return hops[Math.max(0, hops.length - trustedHops)] ?? 'unknown';
  return socketAddress ?? 'unknown';
}
