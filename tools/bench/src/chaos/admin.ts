import { setTimeout as sleep } from 'node:timers/promises';
import { FLOW_RULES_DATA_ID } from '@couponkill/flow';
import { callJson, type JsonRequest } from '@couponkill/http';
import type { Say } from './faults.js';
import { type ChaosRuntime, defaultFlowRules } from './runtime.js';
import type { AdminStep } from './schedule.js';

export interface AdminContext {
  readonly runtime: ChaosRuntime;
  readonly couponId: string;
  readonly token: string;
  readonly clock: () => number;
}

/** What the administrator's actions did (a DELETE that went through mid-sale is a finding). */
export interface AdminFacts {
  deletesAccepted: number;
  /** Actions that never got a definitive answer (every attempt 5xx or no answer). */
  unanswered: number;
}

interface Reply {
  readonly status: number | 'timeout' | 'network';
  readonly body: unknown;
}

/** An admin request: its method, and its JSON body and headers. */
interface AdminRequest extends JsonRequest {
  readonly method: string;
}

/** One admin request, retried after a 5xx or no answer (bounded): an operator tries again. */
async function call(url: string, { method, ...request }: AdminRequest): Promise<Reply> {
  let reply: Reply = { status: 'network', body: undefined };
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await sleep(1000 * attempt);
    try {
      const { status, body } = await callJson(url, method, '', { ...request, signal: AbortSignal.timeout(8000) });
      reply = { status, body };
    } catch (err) {
      const name = (err as Error).name;
      reply = { status: name === 'TimeoutError' ? 'timeout' : 'network', body: undefined };
    }
    if (typeof reply.status === 'number' && reply.status < 500) return reply;
  }
  return reply;
}

const brief = (reply: Reply): string => {
  const code = (reply.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return `${reply.status}${code === undefined ? '' : ` ${code.code}: ${code.message ?? ''}`}`;
};

/** Runs the admin actions of a schedule at their planned times, one after another. */
export async function runAdmin(steps: readonly AdminStep[], ctx: AdminContext, say: Say): Promise<AdminFacts> {
  const facts: AdminFacts = { deletesAccepted: 0, unanswered: 0 };
  const gateway = `${ctx.runtime.gatewayUrl}/api/v1/coupons/${ctx.couponId}`;
  const json = (method: string, body?: unknown): AdminRequest => ({
    method,
    headers: { authorization: `Bearer ${ctx.token}` },
    body,
  });
  const note = (reply: Reply) => {
    if (typeof reply.status !== 'number' || reply.status >= 500) facts.unanswered += 1;
  };
  const totalStock = async (): Promise<number | Reply> => {
    const reply = await call(gateway, json('GET'));
    return reply.status === 200 ? (reply.body as { totalStock: number }).totalStock : reply;
  };

  for (const step of steps) {
    const wait = step.atMs - ctx.clock();
    if (wait > 0) await sleep(wait);
    switch (step.kind) {
      case 'patch-up':
      case 'patch-down': {
        const before = await totalStock();
        if (typeof before !== 'number') {
          say(`admin ${step.kind}: reading the coupon answered ${brief(before)}; skipped`);
          note(before);
          break;
        }
        const after = step.kind === 'patch-up' ? before + step.delta : Math.max(1, before - step.delta);
        const reply = await call(gateway, json('PATCH', { totalStock: after }));
        note(reply);
        say(`admin ${step.kind}: totalStock ${before} → ${after}: ${brief(reply)}`);
        break;
      }
      case 'delete': {
        const reply = await call(`${gateway}${step.force ? '?force=true' : ''}`, json('DELETE'));
        note(reply);
        if (reply.status === 204) facts.deletesAccepted += 1;
        say(`admin delete${step.force ? ' ?force=true' : ''} mid-sale: ${brief(reply)}`);
        break;
      }
      case 'preheat': {
        const reply = await call(`${gateway}/preheat`, json('POST'));
        note(reply);
        say(`admin preheat: ${brief(reply)}${reply.status === 200 ? ` ${JSON.stringify(reply.body)}` : ''}`);
        break;
      }
      case 'audit': {
        const reply = await call(`${ctx.runtime.auditUrl}/jobs/audit`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ctx.runtime.jobToken}`, 'content-type': 'application/json' },
          body: { couponIds: [ctx.couponId], repair: true },
        });
        note(reply);
        const report = (reply.body as { reports?: Array<{ verdict: string; repaired: boolean }> } | undefined)
          ?.reports?.[0];
        say(
          `admin audit repair: ${brief(reply)}${report === undefined ? '' : ` verdict ${report.verdict}, repaired ${report.repaired}`}`,
        );
        break;
      }
      case 'flow-rules': {
        // A sale-specific rule for this coupon, published live, then the defaults again.
        const tight = `${defaultFlowRules()}\ncoupons:\n  ${ctx.couponId}: { perCoupon: { ratePerSecond: 20, burst: 10 } }\n`;
        say(`admin flow-rules: ${await publish(ctx, tight)} (perCoupon 20/s for this coupon)`);
        await sleep(step.holdMs);
        say(`admin flow-rules: ${await publish(ctx, defaultFlowRules())} (defaults again)`);
        break;
      }
      case 'deactivate': {
        const off = await call(gateway, json('PATCH', { status: 'inactive' }));
        note(off);
        say(`admin deactivate: ${brief(off)}`);
        await sleep(step.holdMs);
        const on = await call(gateway, json('PATCH', { status: 'active' }));
        note(on);
        say(`admin reactivate: ${brief(on)}`);
        break;
      }
    }
  }
  return facts;
}

/** Publishes the flow rules to Nacos, retrying while it is down (bounded). */
async function publish(ctx: AdminContext, text: string): Promise<string> {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await ctx.runtime.nacos.publish(FLOW_RULES_DATA_ID, text);
      return attempt === 0 ? 'published' : `published after ${attempt} retries`;
    } catch {
      await sleep(1000);
    }
  }
  return 'not published (Nacos did not answer for 10 s)';
}
