import { setTimeout as sleep } from 'node:timers/promises';
import { ulid } from 'ulid';
import type { IntentPlan, UserPlan } from './schedule.js';

/** What the users were told, from their side: the facts `lied` is judged against. */
export interface ClientFacts {
  /** Per user: the distinct grab ids answered 202. */
  readonly answered: Map<string, Set<string>>;
  /** Per Idempotency-Key: the distinct grab ids answered 202 for it. */
  readonly keyGrabIds: Map<string, Set<string>>;
  /** Answers by status (`timeout` and `network` for no answer). */
  readonly statuses: Map<string, number>;
  /** Grab answers by error code (5xx and 4xx). */
  readonly codes: Map<string, number>;
  /** 5xx answers without Retry-After, and 500s (each a contract breach on its own). */
  readonly without503: { status500: number; noRetryAfter: number };
  retries: number;
  duplicates: number;
  /** Intents that ran out of retries without a definitive answer. */
  gaveUp: number;
  cancels: { asked: number; cancelled: number };
}

export interface UserContext {
  readonly gatewayUrl: string;
  readonly couponId: string;
  readonly token: (userId: string) => Promise<string>;
  /** Milliseconds since the sale started. */
  readonly clock: () => number;
}

const REQUEST_TIMEOUT_MS = 5000;
const MAX_ATTEMPTS = 6;
/** No intent keeps retrying longer than this. */
const INTENT_BUDGET_MS = 25_000;

export function emptyFacts(): ClientFacts {
  return {
    answered: new Map(),
    keyGrabIds: new Map(),
    statuses: new Map(),
    codes: new Map(),
    without503: { status500: 0, noRetryAfter: 0 },
    retries: 0,
    duplicates: 0,
    gaveUp: 0,
    cancels: { asked: 0, cancelled: 0 },
  };
}

interface Answer {
  readonly status: number | 'timeout' | 'network';
  readonly body?: { grabId?: string; status?: string; orderId?: string; error?: { code?: string } };
  readonly retryAfterMs?: number;
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    let body: Answer['body'];
    try {
      body = text === '' ? undefined : (JSON.parse(text) as Answer['body']);
    } catch {
      body = undefined;
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      status: response.status,
      ...(body === undefined ? {} : { body }),
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    };
  } catch (err) {
    const name = (err as Error).name;
    return { status: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network' };
  }
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const unsettled = (a: Answer) => a.status === 'timeout' || a.status === 'network' || a.status >= 500;

/**
 * Runs every user's grab intents at their planned times: each intent has its own Idempotency-Key,
 * is retried with the same key after every 5xx or timeout (bounded), is sometimes sent twice at
 * once, and sometimes its order is cancelled as soon as it exists.
 */
export async function runUsers(users: readonly UserPlan[], ctx: UserContext, facts: ClientFacts): Promise<void> {
  await Promise.all(
    users.map(async (user) => {
      const token = await ctx.token(user.userId);
      await Promise.all(user.intents.map((intent) => runIntent(user.userId, token, intent, ctx, facts)));
    }),
  );
}

async function runIntent(
  userId: string,
  token: string,
  intent: IntentPlan,
  ctx: UserContext,
  facts: ClientFacts,
): Promise<void> {
  const wait = intent.atMs - ctx.clock();
  if (wait > 0) await sleep(wait);
  const key = `${userId}.${ulid()}`;
  const started = Date.now();
  const grab = async (): Promise<Answer> => {
    const answer = await send(`${ctx.gatewayUrl}/api/v1/coupons/${ctx.couponId}/grab`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
    });
    record(answer);
    return answer;
  };
  const record = (answer: Answer) => {
    bump(facts.statuses, String(answer.status));
    if (typeof answer.status === 'number' && answer.status >= 400) bump(facts.codes, answer.body?.error?.code ?? '?');
    if (answer.status === 500) facts.without503.status500 += 1;
    if (typeof answer.status === 'number' && answer.status >= 500 && answer.retryAfterMs === undefined) {
      facts.without503.noRetryAfter += 1;
    }
    const grabId = answer.body?.grabId;
    if (answer.status === 202 && grabId !== undefined) {
      const mine = facts.answered.get(userId) ?? new Set<string>();
      facts.answered.set(userId, mine.add(grabId));
      const same = facts.keyGrabIds.get(key) ?? new Set<string>();
      facts.keyGrabIds.set(key, same.add(grabId));
    }
  };

  let answers: Answer[];
  if (intent.duplicate) {
    facts.duplicates += 1;
    answers = await Promise.all([grab(), grab()]);
  } else {
    answers = [await grab()];
  }
  let attempt = 1;
  // Retried only while no copy got a definitive answer (a 202 or a refusal).
  while (answers.every(unsettled) && attempt < MAX_ATTEMPTS && Date.now() - started < INTENT_BUDGET_MS) {
    const last = answers[answers.length - 1];
    const backoff = Math.min(last?.retryAfterMs ?? 250 * 2 ** attempt, 3000);
    await sleep(backoff);
    facts.retries += 1;
    attempt += 1;
    answers = [await grab()];
  }
  if (answers.every(unsettled)) {
    facts.gaveUp += 1;
    return;
  }
  const grabId = answers.find((a) => a.status === 202)?.body?.grabId;
  if (intent.cancel && grabId !== undefined) await cancelWhenOrdered(grabId, token, ctx, facts);
}

/** Polls the grab until it has an order (bounded), then cancels that order (retried after 5xx). */
async function cancelWhenOrdered(grabId: string, token: string, ctx: UserContext, facts: ClientFacts): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  const deadline = Date.now() + 30_000;
  let orderId: string | undefined;
  while (orderId === undefined && Date.now() < deadline) {
    const view = await send(`${ctx.gatewayUrl}/api/v1/grabs/${grabId}`, { headers: auth });
    if (view.status === 200 && view.body?.status === 'SUCCEEDED') orderId = view.body.orderId;
    else if (view.status === 200 && view.body?.status !== 'QUEUED')
      return; // FAILED or CANCELLED: nothing to cancel
    else await sleep(200);
  }
  if (orderId === undefined) return;
  facts.cancels.asked += 1;
  for (let attempt = 0; attempt < 4; attempt++) {
    const answer = await send(`${ctx.gatewayUrl}/api/v1/orders/${orderId}/cancel`, { method: 'POST', headers: auth });
    if (answer.status === 200) facts.cancels.cancelled += 1;
    if (!unsettled(answer)) return;
    await sleep(500 * (attempt + 1));
  }
}
