/**
 * `make loadtest`: a sale through the gateway of a running `make dev`. Creates a coupon as the
 * demo administrator, fires grab requests from many synthetic users with autocannon, waits until
 * every accepted grab has its order in MySQL, checks the sale's invariants from the stores and
 * writes a JSON and an HTML report.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { issueAccessToken, loadKeyRing, signingKeysSchema } from '@couponkill/auth';
import { callJsonOk } from '@couponkill/http';
import { OrderStore, orderShardingSchema } from '@couponkill/orders';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import autocannon from 'autocannon';
import { REPO_ROOT } from '@couponkill/servers';
import { checkInvariants } from '@couponkill/system-tests';
import { describeOptions, type LoadtestOptions, parseOptions, USAGE } from './options.js';
import {
  type LoadtestReport,
  invariantsHold,
  latencyHistogram,
  reportHtml,
  reportJson,
  summarizeLatencies,
  summaryLines,
} from './report.js';
import { distinctUsers, pickSequence, userPicker } from './sampler.js';

const AUTH = { issuer: 'https://auth.couponkill.local', audience: 'couponkill', ttlSeconds: 3600 };
const DEMO_ADMIN = { username: 'admin', password: 'couponkill-admin' };
const SETTLE_TIMEOUT_MS = 120_000;
/** Connections are added in this many steps over the ramp (one autocannon instance each). */
const RAMP_STEPS = 4;

interface DevEndpoints {
  readonly gatewayUrl: string;
  readonly redisUrl: string;
  readonly mysqlUrl: string;
  readonly signingKeysFile: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const NOT_RUNNING =
  'make dev is not running: start `make dev` in another terminal first, wait for "Press Ctrl-C", then run make loadtest again.';

let options: LoadtestOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\nusage: ${USAGE}`);
  process.exit(2);
}
say(`load test: ${describeOptions(options)}`);

const endpoints = await devEndpoints();
if (endpoints === undefined) {
  console.error(NOT_RUNNING);
  process.exit(1);
}
const { gatewayUrl } = endpoints;

// The coupon, created over HTTP as the demo administrator (as an operator would).
const admin = await callJsonOk<{ accessToken: string }>(gatewayUrl, 'POST', '/api/v1/auth/login', {
  body: DEMO_ADMIN,
});
const coupon = await callJsonOk<{ id: string }>(gatewayUrl, 'POST', '/api/v1/coupons', {
  body: {
    name: `Load test ${new Date().toISOString()}`,
    type: 'normal',
    faceValue: 1000,
    minSpend: 0,
    validDays: 1,
    perUserLimit: options.limit,
    totalStock: options.stock,
  },
  headers: { authorization: `Bearer ${admin.accessToken}` },
});
say(`coupon ${coupon.id}: stock ${options.stock}, limit ${options.limit} per user`);

// Tokens are signed here with make dev's own keys instead of registering the users: user-auth
// hashes every password with scrypt, so 20,000 registrations would take minutes on this machine.
// The functions cannot tell the difference (same issuer, audience and key).
const runId = Date.now().toString(36);
const picks = pickSequence(options.attempts, userPicker(options.users, options.distribution));
const users = distinctUsers(picks);
const ring = await loadKeyRing(signingKeysSchema.parse(JSON.parse(readFileSync(endpoints.signingKeysFile, 'utf8'))));
const authorization = new Map<number, string>();
const minting = performance.now();
for (let i = 0; i < users.length; i += 500) {
  await Promise.all(
    users.slice(i, i + 500).map(async (n) => {
      const { token } = await issueAccessToken(ring, { userId: `lt-${runId}-${n}`, roles: ['user'] }, AUTH);
      authorization.set(n, `Bearer ${token}`);
    }),
  );
}
say(
  `${users.length} users (lt-${runId}-…) of ${options.users} picked by ${options.attempts} attempts; tokens signed in ${Math.round(performance.now() - minting)} ms`,
);

// The sale. autocannon cannot add connections to a running instance, so the ramp starts
// RAMP_STEPS instances, each with its share of the connections and attempts, spread over it.
const path = `/api/v1/coupons/${coupon.id}/grab`;
const steps = options.rampSeconds === 0 ? 1 : Math.min(RAMP_STEPS, options.connections, options.attempts);
const statuses: Record<string, number> = {};
const codes: Record<string, number> = {};
const acceptedGrabIds: string[] = [];
const latencies: number[] = [];
let next = 0;
let lastAcceptedAt = 0;
const requestOf: autocannon.Request = {
  method: 'POST',
  path,
  setupRequest: (request) => {
    const user = picks[next++ % picks.length] ?? 0;
    return { ...request, headers: { ...request.headers, authorization: authorization.get(user) } };
  },
  onResponse: (status, body) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    let code = 'UNPARSEABLE';
    try {
      const parsed = JSON.parse(body) as { grabId?: string; error?: { code?: string } };
      if (status === 202 && typeof parsed.grabId === 'string') {
        acceptedGrabIds.push(parsed.grabId);
        lastAcceptedAt = performance.now();
        code = 'QUEUED';
      } else code = parsed.error?.code ?? `HTTP_${status}`;
    } catch {
      // counted as UNPARSEABLE
    }
    codes[code] = (codes[code] ?? 0) + 1;
  },
};
say(
  steps === 1
    ? `firing ${options.attempts} grabs over ${options.connections} connections (no ramp)…`
    : `firing ${options.attempts} grabs; connections grow to ${options.connections} in ${steps} steps over ${options.rampSeconds} s (the progress bar follows the last step, its share of requests and connections)…`,
);
// Until every accepted grab is durable: its order written to MySQL (or the grab compensated).
const redis = createRedis(redisOptionsSchema.parse({ url: endpoints.redisUrl }), 'loadtest');
const sale = new Sale(redis);
const orders = OrderStore.open(endpoints.mysqlUrl, orderShardingSchema.parse({}), 2);
let firing = true;
const durability = watchDurability();
const startedAt = new Date();
const fired = performance.now();
const results = await Promise.all(
  Array.from({ length: steps }, async (_, i) => {
    const delayMs = steps === 1 ? 0 : (i * options.rampSeconds * 1000) / (steps - 1);
    await new Promise((r) => setTimeout(r, delayMs));
    const share = (total: number) => Math.floor(total / steps) + (i < total % steps ? 1 : 0);
    return new Promise<autocannon.Result>((resolveRun, rejectRun) => {
      const instance = autocannon(
        {
          url: gatewayUrl,
          connections: share(options.connections),
          amount: share(options.attempts),
          timeout: 30,
          requests: [requestOf],
        },
        (err: unknown, result) =>
          err
            ? rejectRun(err instanceof Error ? err : new Error(`autocannon failed: ${JSON.stringify(err)}`))
            : resolveRun(result),
      );
      instance.on('response', (_client, _status, _bytes, responseTime: number) => latencies.push(responseTime));
      // One progress bar (two would overwrite each other): the last step starts last, ends about last.
      if (i === steps - 1) {
        autocannon.track(instance, {
          renderProgressBar: true,
          renderResultsTable: false,
          renderLatencyTable: false,
          progressBarString: steps === 1 ? 'grabs [:bar] :percent' : `grabs (step ${steps}/${steps}) [:bar] :percent`,
        });
      }
    });
  }),
);
const durationSeconds = (performance.now() - fired) / 1000;
firing = false;
const completed = latencies.length;
say(`sent: ${completed} responses in ${durationSeconds.toFixed(1)} s, ${acceptedGrabIds.length} accepted`);

// Until every accepted grab is durable: its order written to MySQL (or the grab compensated).
// The watcher runs from the first request on, so a sale that is durable before the last request
// is answered is timed as such.
const { timeToDurableMs } = await durability;

const facts = { couponId: coupon.id, initialStock: options.stock, perUserLimit: options.limit, acceptedGrabIds };
const invariants = await checkInvariants(facts, orders, sale);
await orders.close();
redis.disconnect();

const report: LoadtestReport = {
  options,
  runId,
  couponId: coupon.id,
  gatewayUrl,
  startedAt: startedAt.toISOString(),
  requests: {
    completed,
    durationSeconds,
    perSecond: completed / durationSeconds,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    timeouts: results.reduce((sum, r) => sum + r.timeouts, 0),
  },
  latencyMs: summarizeLatencies(latencies),
  histogram: latencyHistogram(latencies),
  statuses,
  codes,
  accepted: acceptedGrabIds.length,
  timeToDurableMs,
  orders: invariants.orders,
  compensated: invariants.compensated,
  stockLeft: invariants.stockLeft,
  invariants: {
    oversell: invariants.oversell,
    overLimit: invariants.overLimit,
    lost: invariants.lost,
    duplicate: invariants.duplicate,
    stranded: invariants.stranded,
    line: invariants.line,
  },
};
const out = resolve(process.cwd(), options.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.json`, reportJson(report));
writeFileSync(`${out}.html`, reportHtml(report));
say('');
for (const line of summaryLines(report)) say(line);
say(`report        ${out}.html (and .json)`);
const ok = invariantsHold(report.invariants) && timeToDurableMs !== null;
if (!ok) console.error('FAILED: an invariant is broken or accepted grabs never became durable');
process.exit(ok ? 0 : 1);

/**
 * Polls the grab records of the accepted grabs until none is QUEUED once the firing is over.
 * Time to durable: from the last accepted grab until the poll that found every accepted grab so far
 * settled (reset whenever a later grab is accepted). Bounded by SETTLE_TIMEOUT_MS after the firing.
 */
async function watchDurability(): Promise<{ timeToDurableMs: number | null }> {
  const pending = new Set<string>();
  let seen = 0;
  let durableAt: number | null = null;
  let firingEnded: number | null = null;
  for (let lastPrint = 0; ;) {
    if (seen < acceptedGrabIds.length) durableAt = null;
    while (seen < acceptedGrabIds.length) pending.add(acceptedGrabIds[seen++] ?? '');
    const ids = [...pending];
    const records = await Promise.all(ids.map((id) => sale.record(id)));
    ids.forEach((id, i) => {
      const status = records[i]?.status;
      if (status !== undefined && status !== 'QUEUED') pending.delete(id);
    });
    const now = performance.now();
    if (pending.size === 0 && seen === acceptedGrabIds.length) durableAt ??= now;
    else durableAt = null;
    if (!firing) {
      firingEnded ??= now;
      if (durableAt !== null) return { timeToDurableMs: seen === 0 ? 0 : Math.max(0, durableAt - lastAcceptedAt) };
      if (now - lastPrint >= 1000) {
        lastPrint = now;
        say(
          `settling: ${seen - pending.size}/${seen} durable, ${((now - lastAcceptedAt) / 1000).toFixed(1)} s after the last accepted grab`,
        );
      }
      if (now - firingEnded > SETTLE_TIMEOUT_MS) {
        say(`gave up waiting after ${SETTLE_TIMEOUT_MS / 1000} s: ${pending.size} accepted grabs are still QUEUED`);
        return { timeToDurableMs: null };
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** make dev's endpoints, if it is running and its gateway is ready. */
async function devEndpoints(): Promise<DevEndpoints | undefined> {
  let parsed: DevEndpoints;
  try {
    parsed = JSON.parse(readFileSync(resolve(REPO_ROOT, '.run/dev/endpoints.json'), 'utf8')) as DevEndpoints;
  } catch {
    return undefined;
  }
  try {
    const response = await fetch(`${parsed.gatewayUrl}/health/readiness`, { signal: AbortSignal.timeout(3000) });
    return response.status === 200 ? parsed : undefined;
  } catch {
    return undefined;
  }
}
