import { routeGuard, verifierFrom } from '@couponkill/auth';
import type { ConfigStore } from '@couponkill/config';
import { FlowGate, FlowRules } from '@couponkill/flow';
import { checkDependencies } from '@couponkill/health';
import { closeAll, createFunctionKit, type FunctionApp } from '@couponkill/http';
import { nacosOptionsFrom } from '@couponkill/nacos';
import { assertNoEviction, createRedis } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { grabCouponConfigSchema } from './config.js';
import { directGrab, type GrabDeps, grabRoutes, soldOutShortcut } from './handlers.js';
import { SoldOutMarks } from './sold-out.js';

export const FUNCTION_NAME = 'grab-coupon';

/** A grab is a few hundred bytes; anything larger is refused before it is parsed. */
export const MAX_BODY_BYTES = 1024;

export async function createGrabCoupon(config: ConfigStore<typeof grabCouponConfigSchema>): Promise<FunctionApp> {
  const kit = createFunctionKit(FUNCTION_NAME);
  const { logger, metrics, health } = kit;
  const settings = config.current;
  const redis = createRedis(settings.redis, FUNCTION_NAME);
  await assertNoEviction(redis);
  const sale = new Sale(redis, {
    recordTtlMs: settings.grabRecordTtlSeconds * 1000,
    grabDeadlineMs: settings.grabDeadlineMs,
    outboxCap: settings.outboxCap,
    grabBatchMax: settings.grabBatchMax,
  });
  const verify = verifierFrom(settings.auth);
  // Not a readiness check: without Nacos the function serves on the file's (or embedded) rules.
  const rules = await FlowRules.start({
    logger,
    metrics,
    file: settings.flow.rulesFile,
    nacos: nacosOptionsFrom(settings.nacos),
    dataId: settings.flow.dataId,
  });
  checkDependencies(health, { redis });
  const soldOut = new SoldOutMarks(settings.soldOutMarkMs);
  const deps: GrabDeps = {
    verify,
    sale,
    soldOut,
    flow: new FlowGate({ rules, redis, metrics }),
    trustedProxyHops: settings.trustedProxyHops,
  };
  const handler = kit.handler({
    authorize: routeGuard(verify),
    shortcut: soldOutShortcut(soldOut),
    direct: directGrab(deps),
    routes: grabRoutes(deps),
    maxBodyBytes: MAX_BODY_BYTES,
  });
  return { handler, close: closeAll(rules, redis) };
}
