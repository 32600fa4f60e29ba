/**
 * `make bench`: throughput and latency of the grab path and of order writes, each put next to a
 * baseline measured in the same run on the same machine (ratios, not absolute numbers, compare
 * across machines). Starts its own Redis and MariaDB (profile `bench-<pid>`, removed at the end);
 * every HTTP server under test runs as a process of its own, autocannon runs here.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { issueAccessToken } from '@couponkill/auth';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import { serveJwks, TEST_AUDIENCE, TEST_ISSUER } from '@couponkill/testkit';
import type autocannon from 'autocannon';
import { startFunction } from '@couponkill/dev/functions';
import { removeStateDir, REPO_ROOT, startKafka, startMariadb, startRedis, stateDir } from '@couponkill/servers';
import { ulid as newUlid } from 'ulid';
import { type LoadResult, measure, startNode } from './load.js';
import { benchDurability } from './durability.js';
import { benchOrders } from './orders.js';
import { benchScriptCost } from './script-cost.js';
import { benchWholeSale, type WholeSaleResult } from './whole-sale.js';
import {
  cpuModelOf,
  describeMachine,
  evaluate,
  type Figure,
  formatTable,
  type Machine,
  reportName,
  withResults,
} from './report.js';

const DURATION_S = 5;
const WARMUP_S = 1;
const CONNECTIONS = 100;
const GRAB_CONNECTIONS = 500;
const USERS = 5000;
const ORDERS = 20_000;
const BATCH = 500;

// --whole-sale adds one whole sale through the real path next to a naive synchronous server
// (whole-sale.ts); --attempts=N --users=N --stock=N size it (the same inputs for both sides).
const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const found = argv.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.slice(name.length + 3));
};
const WHOLE_SALE = argv.includes('--whole-sale');
const WHOLE = {
  attempts: flag('attempts', 200_000),
  users: flag('users', 100_000),
  stock: flag('stock', 10_000),
  perUserLimit: 2,
  connections: 200,
};

const say = (line: string) => process.stdout.write(`${line}\n`);
const profile = `bench-${process.pid}`;
const closers: Array<() => Promise<unknown>> = [];
const cleanup = async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  removeStateDir(profile);
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

let cpuinfo = '';
try {
  cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
} catch {
  // not Linux: model unknown
}
const machine: Machine = { cores: availableParallelism(), cpuModel: cpuModelOf(cpuinfo), node: process.version };
say(describeMachine(machine));
say(`each HTTP figure: autocannon here, server in its own process, ${WARMUP_S} s warm-up + ${DURATION_S} s measured`);

const measured: Record<string, LoadResult> = {};
const show = (name: string, r: LoadResult) => {
  measured[name] = r;
  const codes = Object.entries(r.statusCodes)
    .map(([c, n]) => `${c}=${n}`)
    .join(' ');
  say(
    `  ${name.padEnd(22)} ${Math.round(r.requestsPerSecond)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  @${r.connections}  [${codes}] errors ${r.errors} timeouts ${r.timeouts}`,
  );
};
const load = (url: string, connections: number, requests?: autocannon.Request[]) =>
  measure({
    url,
    connections,
    durationSeconds: DURATION_S,
    warmupSeconds: WARMUP_S,
    ...(requests === undefined ? {} : { requests }),
  });

let exitCode = 0;
try {
  say('building the compiled grab-coupon and image host (tsc -b)…');
  const tsc = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'functions/grab-coupon', 'shared/runtime'],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
  if (tsc.status !== 0) throw new Error('tsc -b functions/grab-coupon shared/runtime failed');

  say(WHOLE_SALE ? 'starting Redis, MariaDB and Kafka…' : 'starting Redis and MariaDB…');
  const kafkaStarted = WHOLE_SALE ? startKafka({ profile }) : undefined;
  const started = await Promise.allSettled([startRedis({ profile }), startMariadb({ profile })]);
  for (const s of started)
    if (s.status === 'fulfilled') closers.push(() => s.value.process?.stop() ?? Promise.resolve());
  const kafkaServer = await kafkaStarted;
  if (kafkaServer !== undefined) closers.push(() => kafkaServer.process?.stop() ?? Promise.resolve());
  const [redisServer, mariadbServer] = started;
  if (redisServer.status === 'rejected') throw new Error(`redis: ${String(redisServer.reason)}`);
  if (mariadbServer.status === 'rejected') throw new Error(`mariadb: ${String(mariadbServer.reason)}`);
  const redisUrl = redisServer.value.endpoint;
  const mysqlUrl = mariadbServer.value.endpoint;

  // Sale state and tokens, as the sale rig sets them up.
  const redis = createRedis(redisOptionsSchema.parse({ url: redisUrl }), 'bench');
  closers.push(async () => redis.disconnect());
  const sale = new Sale(redis);
  const inStock = newUlid();
  const soldOut = newUlid();
  const settings = { status: 'active', type: 'normal', perUserLimit: 100, startMs: 0, endMs: 0 } as const;
  await sale.preheat(inStock, { ...settings, totalStock: 10_000_000 }, async () => 0);
  await sale.preheat(soldOut, { ...settings, totalStock: 0 }, async () => 0);
  const jwks = await serveJwks('bench');
  closers.push(() => jwks.close());
  const tokens: string[] = [];
  for (let i = 0; i < USERS; i += 500) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(500, USERS - i) }, (_, j) =>
        issueAccessToken(
          jwks.ring,
          { userId: `bench-${i + j}`, roles: ['user'] },
          { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, ttlSeconds: 3600 },
        ),
      ),
    );
    tokens.push(...batch.map((t) => `Bearer ${t.token}`));
  }
  say(`${USERS} users' tokens signed; coupons ${inStock} (stock 10,000,000, limit 100) and ${soldOut} (stock 0)`);
  const grabRequests = (couponId: string): autocannon.Request[] => {
    let next = 0;
    return [
      {
        method: 'POST',
        path: `/api/v1/coupons/${couponId}/grab`,
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, authorization: tokens[next++ % tokens.length] },
        }),
      },
    ];
  };
  const functionEnv = {
    REDIS_URL: redisUrl,
    ...jwks.env,
    SOLD_OUT_MARK_MS: '1000',
    LOG_LEVEL: 'warn',
    NACOS_SERVER_ADDR: '', // no Nacos: the embedded flow rules (no rates), or FLOW_RULES_FILE below
  };

  // 1. Baseline: a raw node:http hello server.
  say('1. baseline: node:http hello server');
  const hello = await startNode({
    profile,
    name: 'hello',
    args: ['tools/bench/src/bench/hello-server.ts'],
    env: {},
    readyPath: '/',
    cwd: REPO_ROOT,
  });
  show(`hello @${CONNECTIONS}`, await load(hello.url, CONNECTIONS));
  show(`hello @${GRAB_CONNECTIONS}`, await load(hello.url, GRAB_CONNECTIONS));
  await hello.process.stop();

  // 2 and 3. grab-coupon under the image host, from its sources (as make dev runs it).
  say('2–3. grab-coupon under the image host (startFunction)');
  const grab = await startFunction('grab-coupon', { profile, env: functionEnv });
  const grabUrl = `http://127.0.0.1:${grab.port}`;
  closers.push(() => grab.process.stop());
  show(`grab @${GRAB_CONNECTIONS}`, await load(grabUrl, GRAB_CONNECTIONS, grabRequests(inStock)));
  show(`sold-out @${CONNECTIONS}`, await load(grabUrl, CONNECTIONS, grabRequests(soldOut)));
  await grab.process.stop();

  // 3b. The same grab with a rule on each bucket of the grab script, none of them binding: what
  // flow control costs a grab it lets through.
  say('3b. grab-coupon with per-coupon, per-user and per-address rules that never bind');
  const rulesFile = join(stateDir(profile), 'flow-rules.yaml');
  writeFileSync(
    rulesFile,
    [
      'perCoupon: { ratePerSecond: 1000000, burst: 1000000 }',
      'perUser: { ratePerSecond: 1000, burst: 1000 }',
      'perIp: { ratePerSecond: 1000000, burst: 1000000 }',
      '',
    ].join('\n'),
  );
  const flowGrab = await startFunction('grab-coupon', { profile, env: { ...functionEnv, FLOW_RULES_FILE: rulesFile } });
  closers.push(() => flowGrab.process.stop());
  show(
    `grab+flow @${GRAB_CONNECTIONS}`,
    await load(`http://127.0.0.1:${flowGrab.port}`, GRAB_CONNECTIONS, grabRequests(inStock)),
  );
  await flowGrab.process.stop();

  // 4. The same compiled module under the image host and under the stock functions-framework.
  say('4. compiled grab-coupon: image host vs functions-framework');
  const compiled = {
    ...functionEnv,
    FUNCTION_TARGET: 'grab-coupon',
    FUNCTION_SOURCE: 'functions/grab-coupon/dist/src/index.js',
  };
  for (const [name, entry] of [
    ['host', 'shared/runtime/dist/src/main.js'],
    ['ff', 'node_modules/@google-cloud/functions-framework/build/src/main.js'],
  ] as const) {
    const server = await startNode({
      profile,
      name: `grab-${name}`,
      args: [entry],
      env: compiled,
      readyPath: '/health/readiness',
      cwd: REPO_ROOT,
    });
    closers.push(() => server.process.stop());
    show(`${name} grab @${CONNECTIONS}`, await load(server.url, CONNECTIONS, grabRequests(inStock)));
    await server.process.stop();
  }

  // 3c. Redis's own time per grab script, with and without the flow buckets.
  say('3c. Redis time per grab script (INFO commandstats): no flow rules vs coupon + user + address buckets');
  const scriptCost = await benchScriptCost(redis, sale, 30_000);
  say(
    `  grab script ${scriptCost.plain.usecPerGrab.toFixed(1)} µs without rules, ${scriptCost.flow.usecPerGrab.toFixed(1)} µs with three buckets (median of 3 × ${scriptCost.flow.calls} calls)`,
  );

  // 4. What a grab costs when Redis answers only once it is on disk.
  say(
    '4. Redis durability: grabs/s with appendfsync always vs everysec (64 at a time, median of 3 interleaved rounds)',
  );
  const durability = await benchDurability(profile, { grabs: 20_000, concurrency: 64, rounds: 3 });
  say(
    `  appendfsync always ${Math.round(durability.always)} grabs/s, everysec ${Math.round(durability.everysec)} grabs/s`,
  );

  // 5. Order writes into sharded MariaDB.
  say('5. order writes into sharded MariaDB');
  const orders = await benchOrders(mysqlUrl, { count: ORDERS, batchSize: BATCH, log: say });
  for (const [name, r] of [
    [`insertBatch(${BATCH})`, orders.batch],
    ['one row per transaction', orders.singleRow],
  ] as const) {
    say(`  ${name.padEnd(24)} ${r.orders} orders in ${r.seconds.toFixed(2)} s = ${Math.round(r.perSecond)} orders/s`);
  }

  let whole: WholeSaleResult | undefined;
  if (WHOLE_SALE && kafkaServer !== undefined) {
    say(
      `6. whole sale: ${WHOLE.attempts} attempts, ${WHOLE.users} users, stock ${WHOLE.stock}, limit ${WHOLE.perUserLimit}, @${WHOLE.connections}; real path vs naive synchronous server`,
    );
    whole = await benchWholeSale({ redisUrl, mysqlUrl, kafkaBrokers: kafkaServer.endpoint }, WHOLE, profile, say);
  }

  const m = (name: string) => {
    const r = measured[name];
    if (r === undefined) throw new Error(`no measurement ${name}`);
    return r;
  };
  const hello100 = m(`hello @${CONNECTIONS}`);
  const hello500 = m(`hello @${GRAB_CONNECTIONS}`);
  const grab500 = m(`grab @${GRAB_CONNECTIONS}`);
  const sold100 = m(`sold-out @${CONNECTIONS}`);
  const flow500 = m(`grab+flow @${GRAB_CONNECTIONS}`);
  const host100 = m(`host grab @${CONNECTIONS}`);
  const ff100 = m(`ff grab @${CONNECTIONS}`);
  const figures: Figure[] = [
    {
      name: `grab req/s @${GRAB_CONNECTIONS}`,
      value: grab500.requestsPerSecond,
      baseline: hello500.requestsPerSecond,
      baselineName: `hello @${GRAB_CONNECTIONS}`,
      unit: 'req/s',
      goal: { kind: 'ratio-at-least', min: 0.5 },
    },
    {
      name: `grab p99 @${GRAB_CONNECTIONS}`,
      value: grab500.p99Ms,
      baseline: hello500.p99Ms,
      baselineName: `hello @${GRAB_CONNECTIONS}`,
      unit: 'ms',
      goal: { kind: 'value-at-most', max: 10 },
    },
    {
      name: `grab+flow req/s @${GRAB_CONNECTIONS}`,
      value: flow500.requestsPerSecond,
      baseline: grab500.requestsPerSecond,
      baselineName: `grab @${GRAB_CONNECTIONS}, no rules`,
      unit: 'req/s',
      goal: { kind: 'ratio-at-least', min: 0.9 },
    },
    {
      name: `grab+flow p99 @${GRAB_CONNECTIONS}`,
      value: flow500.p99Ms,
      baseline: grab500.p99Ms,
      baselineName: `grab @${GRAB_CONNECTIONS}, no rules`,
      unit: 'ms',
      goal: { kind: 'none' },
    },
    {
      name: 'Redis µs per grab script, 3 flow buckets',
      value: scriptCost.flow.usecPerGrab,
      baseline: scriptCost.plain.usecPerGrab,
      baselineName: 'no flow rules',
      unit: 'µs',
      goal: { kind: 'none' },
    },
    {
      name: 'grabs/s, appendfsync always',
      value: durability.always,
      baseline: durability.everysec,
      baselineName: 'appendfsync everysec',
      unit: 'grabs/s',
      goal: { kind: 'none' },
    },
    {
      name: `sold-out req/s @${CONNECTIONS}`,
      value: sold100.requestsPerSecond,
      baseline: hello100.requestsPerSecond,
      baselineName: `hello @${CONNECTIONS}`,
      unit: 'req/s',
      goal: { kind: 'ratio-at-least', min: 0.9 },
    },
    {
      name: `sold-out p99 @${CONNECTIONS}`,
      value: sold100.p99Ms,
      baseline: hello100.p99Ms,
      baselineName: `hello @${CONNECTIONS}`,
      unit: 'ms',
      goal: { kind: 'none' },
    },
    {
      name: `host grab req/s @${CONNECTIONS} (dist)`,
      value: host100.requestsPerSecond,
      baseline: ff100.requestsPerSecond,
      baselineName: 'functions-framework',
      unit: 'req/s',
      goal: { kind: 'none' },
    },
    {
      name: `host grab p99 @${CONNECTIONS} (dist)`,
      value: host100.p99Ms,
      baseline: ff100.p99Ms,
      baselineName: 'functions-framework',
      unit: 'ms',
      goal: { kind: 'none' },
    },
    {
      name: `orders/s insertBatch(${BATCH})`,
      value: orders.batch.perSecond,
      baseline: orders.singleRow.perSecond,
      baselineName: '1 row/txn',
      unit: 'orders/s',
      goal: { kind: 'ratio-at-least', min: 10 },
    },
    {
      name: `orders/s per core insertBatch(${BATCH})`,
      value: orders.batch.perSecond / machine.cores,
      baseline: orders.singleRow.perSecond / machine.cores,
      baselineName: '1 row/txn',
      unit: 'orders/s',
      goal: { kind: 'value-at-least', min: 5000 },
    },
  ];
  if (whole !== undefined) {
    const size = `${whole.options.attempts / 1000}k attempts`;
    figures.push(
      {
        name: `whole sale grab req/s (${size} @${whole.options.connections})`,
        value: whole.ours.requestsPerSecond,
        baseline: whole.naive.requestsPerSecond,
        baselineName: 'naive sync server',
        unit: 'req/s',
        goal: { kind: 'none' },
      },
      {
        name: 'whole sale: last answer → all durable',
        value: whole.ours.settleSeconds,
        baseline: 0,
        baselineName: 'naive: answers after COMMIT',
        unit: 's',
        goal: { kind: 'value-at-most', max: 5 },
      },
      {
        // Reversed on purpose (naive time / our time): how many times sooner our whole sale is done.
        name: `whole sale time, first request → all durable: naive ÷ ours (${size})`,
        value: whole.naive.totalSeconds,
        baseline: whole.ours.totalSeconds,
        baselineName: 'ours',
        unit: 's',
        goal: { kind: 'ratio-at-least', min: 10 },
      },
    );
  }
  const evaluated = figures.map(evaluate);
  say('');
  say(describeMachine(machine));
  say(formatTable(evaluated));
  if (whole !== undefined) {
    say(`whole sale invariants, ours:  ${whole.ours.invariants}${whole.ours.clean ? '' : '  ← NOT CLEAN'}`);
    say(`whole sale invariants, naive: ${whole.naive.invariants}${whole.naive.clean ? '' : '  ← NOT CLEAN'}`);
    if (!whole.ours.clean || !whole.naive.clean) exitCode = 1;
  }

  const at = new Date();
  const dir = join(REPO_ROOT, 'reports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, reportName(at));
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        at: at.toISOString(),
        machine,
        settings: {
          durationSeconds: DURATION_S,
          warmupSeconds: WARMUP_S,
          connections: CONNECTIONS,
          grabConnections: GRAB_CONNECTIONS,
          users: USERS,
        },
        http: measured,
        orders,
        ...(whole === undefined ? {} : { wholeSale: whole }),
        figures: evaluated,
      },
      null,
      2,
    )}\n`,
  );
  say(`report: ${file}`);

  // The results table of docs/performance.md is this run's, unless the run broke an invariant.
  if (exitCode === 0) {
    const page = join(REPO_ROOT, 'docs', 'performance.md');
    const lines = [
      `Last run ${at.toISOString().slice(0, 10)}, ${describeMachine(machine)}:`,
      '',
      formatTable(evaluated),
    ];
    if (whole !== undefined) {
      lines.push(
        '',
        `Whole sale invariants, ours: \`${whole.ours.invariants}\`; naive: \`${whole.naive.invariants}\`.`,
      );
    }
    writeFileSync(page, withResults(readFileSync(page, 'utf8'), lines.join('\n')));
    say(`results table: ${page}`);
  }
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
