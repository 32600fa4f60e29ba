import { routeGuard, verifierFrom } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { checkDependencies } from '@couponkill/health';
import { closeAll, createFunctionKit, type FunctionApp } from '@couponkill/http';
import { createRedis } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { grabResultConfigSchema } from './config.js';
import { GrabReader } from './grabs.js';
import { grabResultRoutes } from './handlers.js';
import { GrabStreams, StreamSlots } from './stream.js';

export const FUNCTION_NAME = 'grab-result';

/** Its routes are reads; a body is refused before it is parsed. */
export const MAX_BODY_BYTES = 1024;

export async function createGrabResult(config: ConfigStore<typeof grabResultConfigSchema>): Promise<FunctionApp> {
  const kit = createFunctionKit(FUNCTION_NAME);
  const settings = config.current;
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  const verify = verifierFrom(settings.auth);
  checkDependencies(kit.health, { redis });

  const grabs = new GrabReader(new Sale(redis));
  const streams = new GrabStreams(
    grabs,
    {
      maxMs: settings.sse.maxSeconds * 1000,
      pollMs: settings.sse.pollMs,
      keepAliveMs: settings.sse.keepAliveSeconds * 1000,
      maxPerUser: settings.sse.maxStreamsPerUser,
    },
    {
      open: kit.metrics.gauge('couponkill_grab_result_streams_open', 'Event streams open now.'),
      polls: kit.metrics.counter('couponkill_grab_result_status_polls_total', 'Status reads by open event streams.'),
    },
    new StreamSlots(redis),
  );
  const handler = kit.handler({
    authorize: routeGuard(verify),
    routes: grabResultRoutes({ verify, grabs, streams }),
    maxBodyBytes: MAX_BODY_BYTES,
  });
  return { handler, close: closeAll(streams, redis) };
}
