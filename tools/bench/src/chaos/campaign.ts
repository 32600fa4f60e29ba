import { setTimeout as sleep } from 'node:timers/promises';
import { couponKeys } from '@couponkill/sale';
import { type BooksReport, checkBooks } from '@couponkill/system-tests';
import { type AdminFacts, runAdmin } from './admin.js';
import { runFault, type Say } from './faults.js';
import type { ChaosRuntime } from './runtime.js';
import { planSchedule, type SchedulePlan, Tally, type UserKind } from './schedule.js';
import { type ClientFacts, emptyFacts, runUsers } from './users.js';

export interface CampaignOptions {
  /** The first schedule's seed; schedule k of the run has seed + k. */
  readonly seed: number;
  readonly schedules: number;
  /** How long users grab in each schedule. */
  readonly saleMs: number;
  /** How long the system may take to settle after a schedule before the books are read. */
  readonly settleMs: number;
  /** Stops between schedules when set (Ctrl-C). */
  readonly stopped?: () => boolean;
}

export interface ScheduleResult {
  readonly seed: number;
  /** Absent when the schedule broke off with an error (then `line` says which). */
  readonly books?: BooksReport;
  readonly clients?: ClientFacts;
  readonly admin?: AdminFacts;
  readonly settled?: boolean;
  readonly ms: number;
  /** The schedule line: the seed and the six counters. */
  readonly line: string;
  readonly clean: boolean;
}

export interface CampaignResult {
  readonly results: readonly ScheduleResult[];
  readonly tally: Tally;
}

/** Creates the schedule's coupon through the gateway: a normal coupon, on sale at once. */
async function createCoupon(runtime: ChaosRuntime, plan: SchedulePlan, token: string): Promise<string> {
  // Retried (bounded) while the system still recovers from the previous schedule's last fault; a
  // coupon created by an attempt that got no answer is left unused.
  let failure = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await sleep(2000);
    try {
      const response = await fetch(`${runtime.gatewayUrl}/api/v1/coupons`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `chaos ${plan.seed}`,
          type: 'normal',
          faceValue: 1000,
          minSpend: 0,
          validDays: 7,
          perUserLimit: plan.perUserLimit,
          totalStock: plan.totalStock,
        }),
        signal: AbortSignal.timeout(15_000),
      });
      if (response.status === 201) return ((await response.json()) as { id: string }).id;
      failure = `HTTP ${response.status} ${await response.text()}`;
      if (response.status < 500) break;
    } catch (err) {
      failure = (err as Error).message;
    }
  }
  throw new Error(`creating the coupon failed: ${failure}`);
}

/**
 * Waits (bounded) until nothing of the sale is in flight: no grab record QUEUED, the outbox
 * drained, the order worker's consumer group caught up.
 */
async function settle(runtime: ChaosRuntime, couponId: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  const pattern = `${couponKeys(couponId).grab('')}*`;
  for (;;) {
    let state: string;
    try {
      const queued = await countQueued(runtime, pattern);
      const outbox = await runtime.redis.xlen(couponKeys(couponId).outbox);
      const lag = await runtime.consumerLag();
      if (queued === 0 && outbox === 0 && lag === 0) return undefined;
      state = `${queued} grabs QUEUED, outbox ${outbox}, consumer lag ${lag}`;
    } catch (err) {
      state = `books unreadable: ${(err as Error).message}`;
    }
    if (Date.now() > deadline) return state;
    await sleep(500);
  }
}

async function countQueued(runtime: ChaosRuntime, pattern: string): Promise<number> {
  let cursor = '0';
  let queued = 0;
  do {
    const [next, keys] = await runtime.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    const statuses = await Promise.all(keys.map((k) => runtime.redis.hget(k, 'status')));
    queued += statuses.filter((s) => s === 'QUEUED').length;
  } while (cursor !== '0');
  return queued;
}

async function finalTotal(runtime: ChaosRuntime, couponId: string): Promise<number> {
  // Soft-deleted rows included: a coupon deleted mid-sale is judged by its last total.
  const [rows] = await runtime.mysql.query('SELECT total_stock FROM couponkill_coupons.coupons WHERE id = ?', [
    couponId,
  ]);
  const total = (rows as Array<{ total_stock?: number }>)[0]?.total_stock;
  if (total === undefined) throw new Error(`coupon ${couponId} is not in MySQL`);
  return Number(total);
}

/** Runs one schedule: the sale, its faults and admin actions at once; then settles and reads the books. */
export async function runSchedule(
  runtime: ChaosRuntime,
  plan: SchedulePlan,
  say: (line: string) => void,
  settleMs: number,
): Promise<ScheduleResult> {
  const started = Date.now();
  const clock = () => Date.now() - started;
  const at: Say = (line) => say(`  ${(clock() / 1000).toFixed(1).padStart(5)}s ${line}`);
  const adminToken = await runtime.adminToken();
  const couponId = await createCoupon(runtime, plan, adminToken);
  at(
    `seed ${plan.seed}: coupon ${couponId}, stock ${plan.totalStock}, limit ${plan.perUserLimit}, ` +
      `${plan.users.length} users, ${plan.users.reduce((n, u) => n + u.intents.length, 0)} grab intents; ` +
      `faults ${plan.faults.map((f) => f.kind).join(', ')}; admin ${plan.admin.map((a) => a.kind).join(', ')}`,
  );
  const clients = emptyFacts();
  const users = runUsers(
    plan.users,
    { gatewayUrl: runtime.gatewayUrl, couponId, token: (u) => runtime.userToken(u), clock },
    clients,
  );
  const faults = (async () => {
    for (const step of plan.faults) {
      await sleep(step.gapMs);
      await runFault(runtime, step, at);
    }
  })();
  const admin = runAdmin(plan.admin, { runtime, couponId, token: adminToken, clock }, at);
  // All three run to their end before a failure of one is reported: nothing of this schedule may
  // still act while the next one runs.
  const failed = (await Promise.allSettled([users, faults, admin])).find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const adminFacts = await admin; // settled already
  const revived = await runtime.reviveDead();
  if (revived.length > 0) at(`died on their own during the schedule and started again: ${revived.join(', ')}`);
  at(
    `sale over: answers ${[...clients.statuses].map(([s, n]) => `${s}×${n}`).join(' ')}; ` +
      `retries ${clients.retries}, duplicates ${clients.duplicates}, gave up ${clients.gaveUp}, ` +
      `cancels ${clients.cancels.cancelled}/${clients.cancels.asked}; settling…`,
  );
  const unsettled = await settle(runtime, couponId, settleMs);
  if (unsettled !== undefined) at(`not settled after ${settleMs / 1000} s: ${unsettled}`);
  const books = await checkBooks(
    {
      couponId,
      perUserLimit: plan.perUserLimit,
      totalStock: await finalTotal(runtime, couponId),
      answered: clients.answered,
      keyGrabIds: clients.keyGrabIds,
    },
    runtime.orders,
    runtime.sale,
  );
  const clean = books.oversell + books.overLimit + books.lost + books.duplicate + books.stranded + books.lied === 0;
  const codes = [...clients.codes].map(([c, n]) => `${c}×${n}`).join(' ');
  at(
    `books: ${books.orders} orders (${books.liveOrders} live), ${books.compensated} compensated, stock left ` +
      `${books.stockLeft ?? 'none'}, ${books.queued} QUEUED; error codes ${codes === '' ? 'none' : codes}; ` +
      `500s ${clients.without503.status500}, 5xx without Retry-After ${clients.without503.noRetryAfter}` +
      (adminFacts.deletesAccepted > 0 ? `; DELETE accepted mid-sale ${adminFacts.deletesAccepted}×` : ''),
  );
  for (const example of books.examples) at(`  ${example}`);
  return {
    seed: plan.seed,
    books,
    clients,
    admin: adminFacts,
    settled: unsettled === undefined,
    ms: Date.now() - started,
    line: `seed=${plan.seed} ${books.line}`,
    clean,
  };
}

/** Runs `schedules` schedules on one runtime, a fresh coupon each, and tallies what they covered. */
export async function runCampaign(
  runtime: ChaosRuntime,
  options: CampaignOptions,
  say: (line: string) => void,
): Promise<CampaignResult> {
  const tally = new Tally();
  const results: ScheduleResult[] = [];
  for (let k = 0; k < options.schedules && options.stopped?.() !== true; k++) {
    const plan = planSchedule(options.seed + k, { saleMs: options.saleMs });
    say(
      `schedule ${k + 1}/${options.schedules} (seed ${plan.seed}; rerun alone: make chaos SEED=${plan.seed} SCHEDULES=1)`,
    );
    await runtime.toxiproxy.reset();
    const started = Date.now();
    // A schedule that breaks the campaign itself is reported as not clean; the next one still runs.
    const result = await runSchedule(runtime, plan, say, options.settleMs).catch((err: unknown): ScheduleResult => ({
      seed: plan.seed,
      ms: Date.now() - started,
      line: `seed=${plan.seed} error: ${(err as Error).message.split('\n')[0]}`,
      clean: false,
    }));
    if (result.books === undefined) {
      await runtime.toxiproxy.reset().catch(() => undefined);
      const revived = await runtime.reviveDead().catch(() => []);
      if (revived.length > 0) say(`  started again after the error: ${revived.join(', ')}`);
    }
    tally.add(
      plan.faults.map((f) => f.kind),
      plan.admin.map((a) => a.kind),
      userActionsOf(result.clients),
    );
    results.push(result);
    say(`${result.line}   (${(result.ms / 1000).toFixed(0)} s${result.clean ? '' : ', NOT CLEAN'})`);
  }
  return { results, tally };
}

/**
 * The user actions that really happened in a schedule (a retry needs a 5xx or a timeout first, a
 * cancel an order in time), so the tally does not count what was only planned.
 */
function userActionsOf(clients: ClientFacts | undefined): UserKind[] {
  if (clients === undefined) return [];
  return [
    ...(clients.retries > 0 ? (['retry-same-key'] as const) : []),
    ...(clients.duplicates > 0 ? (['duplicate-submit'] as const) : []),
    ...(clients.cancels.asked > 0 ? (['cancel-queued'] as const) : []),
  ];
}
