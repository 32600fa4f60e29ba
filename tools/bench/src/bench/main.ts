/**
 * `make bench`: throughput, latency and CPU per request of the grab path, order writes, a whole
 * sale and the functions' memory under it, each put next to a baseline measured in the same run on
 * the same machine (ratios, not absolute numbers, compare across machines). Starts its own Redis,
 * MariaDB and Kafka (profile `bench-<pid>`, removed at the end). Every HTTP server under test is a
 * process of its own pinned to core 1, the load generator (loadgen.ts, autocannon) a process of
 * its own pinned to core 0; Redis and MariaDB are unpinned. The HTTP runs repeat in interleaved
 * rounds; each ratio is taken against the same round's hello and the table shows the median over
 * the rounds and their min–max. The whole sale (whole-sale.ts) runs every part as a process of
 * its own, only the load generator pinned.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { issueAccessToken } from '@couponkill/auth';
import { imageTarget } from '@couponkill/images/stage';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import { serveJwks, TEST_AUDIENCE, TEST_ISSUER } from '@couponkill/testkit';
import { removeStateDir, REPO_ROOT, startKafka, startMariadb, startRedis, stateDir } from '@couponkill/servers';
import { ulid as newUlid } from 'ulid';
import {
  allowedCores,
  choosePinning,
  type LoadJob,
  type LoadResult,
  measure,
  type NodeProcess,
  startNode,
} from './load.js';
import { benchDurability } from './durability.js';
import { benchOrders, type WriteRate } from './orders.js';
import { benchScriptCost } from './script-cost.js';
import { median } from './stats.js';
import { benchWholeSale, describeCpu, HOST_MAIN, type WholeSaleResult } from './whole-sale.js';
import { describeMemory } from './memory.js';
import {
  cpuModelOf,
  describeMachine,
  evaluate,
  type Figure,
  formatNumber,
  formatTable,
  type Machine,
  reportName,
  withResults,
} from './report.js';

const DURATION_S = 4;
const WARMUP_S = 1;
const CONNECTIONS = 100;
const GRAB_CONNECTIONS = 500;
const USERS = 5000;
const ORDERS = 20_000;
const BATCH = 500;
const SPAWNS = 3;

// --rounds=N (default 3) interleaved rounds of the HTTP runs; --framework adds the compiled grab
// under the stock functions-framework next to the image host. The whole sale through the real
// path next to a naive synchronous server (whole-sale.ts, P4 and memory) runs by default:
// --no-whole-sale leaves it out, --whole-sale-only runs nothing else; --attempts=N --users=N
// --stock=N --sale-connections=N size it (the same inputs for both sides).
// --max-semi-space-size=N (MiB) starts the functions of the whole sale with that node option, an
// experiment on how much of their memory is V8's young generation. Only a run of every figure, with
// the functions as the image starts them, rewrites the table of docs/performance.md.
const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const found = argv.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.slice(name.length + 3));
};
const ROUNDS = Math.max(1, flag('rounds', 3));
const FRAMEWORK = argv.includes('--framework');
const WHOLE_SALE_ONLY = argv.includes('--whole-sale-only');
const WHOLE_SALE = WHOLE_SALE_ONLY || !argv.includes('--no-whole-sale');
const ROUNDS_AND_REST = !WHOLE_SALE_ONLY;
const WHOLE = {
  attempts: flag('attempts', 200_000),
  users: flag('users', 100_000),
  stock: flag('stock', 10_000),
  perUserLimit: 2,
  connections: flag('sale-connections', 200),
};
const SEMI_SPACE_MIB = flag('max-semi-space-size', 0);
const unknown = argv.filter(
  (a) =>
    !/^--(rounds|attempts|users|stock|sale-connections|max-semi-space-size)=\d+$/.test(a) &&
    !['--framework', '--no-whole-sale', '--whole-sale-only', '--whole-sale'].includes(a),
);
if (unknown.length > 0 || WHOLE.users < 1 || WHOLE.attempts < WHOLE.connections) {
  process.stderr.write(
    `make bench: ${unknown.length > 0 ? `unknown ${unknown.join(' ')}` : 'need --users ≥ 1 and --attempts ≥ --sale-connections'}\n` +
      'options: --rounds=N --framework --no-whole-sale --whole-sale-only --attempts=N --users=N --stock=N --sale-connections=N --max-semi-space-size=N\n',
  );
  process.exit(2);
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const began = performance.now();
const elapsed = () => `${Math.round((performance.now() - began) / 1000)} s`;
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
const pin = choosePinning(machine.cores);
say(describeMachine(machine));
say(
  pin.server === undefined
    ? 'NOT pinned (taskset missing or fewer than 2 cores): server and load generator share the cores'
    : `servers under test on core ${pin.server}, load generator on core ${pin.loadgen ?? '?'} (taskset); Redis, MariaDB unpinned`,
);
say(
  `each HTTP run: ${WARMUP_S} s warm-up + ${DURATION_S} s measured, load generator in its own process; ${ROUNDS} interleaved rounds`,
);

interface Round {
  readonly hello: LoadResult;
  readonly grab: LoadResult;
  readonly soldOut: LoadResult;
  /** The sold-out answer's bytes written by bare node:http (hello-server.ts with ANSWER). */
  readonly soldOutBytes: LoadResult;
  readonly grab500: LoadResult;
  readonly flow500: LoadResult;
  readonly open: LoadResult;
  readonly helloOpen: LoadResult;
}

const describe = (name: string, r: LoadResult) => {
  const codes = Object.entries(r.statusCodes)
    .map(([c, n]) => `${c}=${n}`)
    .join(' ');
  return (
    `  ${name.padEnd(28)} ${formatNumber(r.requestsPerSecond).padStart(7)} req/s  p50 ${r.p50Ms} p99 ${r.p99Ms} ms` +
    `  server ${formatNumber(r.serverCpuMicrosPerRequest)} µs/req (${Math.round(r.serverCpuShare * 100)}% core)` +
    `  loadgen ${Math.round(r.loadgenCpuShare * 100)}% core${r.loadgenCpuShare >= 0.9 ? ' (saturated)' : ''}  [${codes}]` +
    (r.errors + r.timeouts > 0 ? ` errors ${r.errors} timeouts ${r.timeouts}` : '')
  );
};
const run = async (
  name: string,
  server: NodeProcess,
  job: Omit<LoadJob, 'url' | 'durationSeconds' | 'warmupSeconds'>,
) => {
  const r = await measure(
    server.process.pid,
    { url: server.url, durationSeconds: DURATION_S, warmupSeconds: WARMUP_S, ...job },
    pin,
  );
  say(describe(name, r));
  return r;
};

let exitCode = 0;
try {
  const compile = [
    'shared/runtime',
    'functions/grab-coupon',
    ...(WHOLE_SALE ? ['functions/outbox-relay', 'functions/create-order'] : []),
  ];
  say(`building the compiled functions and image host (tsc -b ${compile.join(' ')})…`);
  const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', ...compile], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error(`tsc -b ${compile.join(' ')} failed`);

  say('starting Redis and MariaDB…');
  const started = await Promise.allSettled([startRedis({ profile }), startMariadb({ profile })]);
  for (const s of started)
    if (s.status === 'fulfilled') closers.push(() => s.value.process?.stop() ?? Promise.resolve());
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
  // A limit no run reaches: every grab of the in-stock coupon takes the success path.
  const settings = { status: 'active', type: 'normal', perUserLimit: 100_000, startMs: 0, endMs: 0 } as const;
  await sale.preheat(inStock, { ...settings, totalStock: 100_000_000 }, async () => 0);
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
  const tokensFile = join(stateDir(profile, 'bench'), 'tokens.json');
  writeFileSync(tokensFile, JSON.stringify(tokens));
  say(`${USERS} users' tokens signed; coupons ${inStock} (in stock) and ${soldOut} (stock 0)`);
  const grabJob = (couponId: string) => ({ path: `/api/v1/coupons/${couponId}/grab`, tokensFile });
  const functionEnv = {
    REDIS_URL: redisUrl,
    ...jwks.env,
    SOLD_OUT_MARK_MS: '1000',
    LOG_LEVEL: 'warn',
    NACOS_SERVER_ADDR: '', // no Nacos: the embedded flow rules (no rates), or FLOW_RULES_FILE below
  };
  // The compiled module under the image host, as the image runs it (not tsx).
  const compiled = {
    ...functionEnv,
    FUNCTION_TARGET: 'grab-coupon',
    FUNCTION_SOURCE: 'functions/grab-coupon/dist/src/index.js',
  };
  // The Node flags of the image's entry point (between the node binary and the host's main), so
  // the compiled grab starts here as it starts in a pod; the stock framework gets the same ones.
  const imageNodeFlags = imageTarget(REPO_ROOT, 'grab-coupon').entrypoint.slice(1, -1);
  const startServer = async (
    name: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    nodeArgs: readonly string[] = [],
  ) => {
    const compiledGrab = args[0] === HOST_MAIN || args[0]?.includes('functions-framework') === true;
    const server = await startNode({
      profile,
      name,
      args,
      nodeArgs: compiledGrab ? [...imageNodeFlags, ...nodeArgs] : nodeArgs,
      ...(pin.server === undefined ? {} : { cpus: pin.server }),
      env,
      readyPath: compiledGrab ? '/health/readiness' : '/',
      cwd: REPO_ROOT,
    });
    closers.push(() => server.process.stop());
    return server;
  };

  const at = new Date();
  /** Everything but the whole sale: the HTTP rounds, profiles, P6, Redis costs and order writes. */
  const measureRest = async () => {
    // The grab with a rule on each bucket of the grab script, none of them binding: what flow
    // control costs a grab it lets through.
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

    say(
      'starting the servers under test: node:http hello, grab-coupon (compiled, image host), grab-coupon + flow rules',
    );
    const hello = await startServer('hello', ['tools/bench/src/bench/hello-server.ts'], {});
    const grab = await startServer('grab', [HOST_MAIN], compiled);
    const flowGrab = await startServer('grab-flow', [HOST_MAIN], { ...compiled, FLOW_RULES_FILE: rulesFile });
    // The sold-out answer as the grab gives it (the second one, from the shortcut), replayed by
    // bare node:http: what its bytes alone cost, the ceiling of P2.
    const answer = await recordAnswer(`${grab.url}/api/v1/coupons/${soldOut}/grab`, tokens[0] ?? '');
    const soldOutBytes = await startServer('sold-out bytes', ['tools/bench/src/bench/hello-server.ts'], {
      ANSWER: JSON.stringify(answer),
    });
    for (const server of [hello, grab, flowGrab, soldOutBytes])
      say(`  ${server.process.name}: pid ${server.process.pid}, cores ${allowedCores(server.process.pid)}`);

    const rounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      say(`round ${r}/${ROUNDS} (${elapsed()})`);
      // The same requests as the grab's (a POST with a different user's token each), so that both
      // sides parse the same bytes and the load generator does the same work per request.
      const helloRun = await run(`hello @${CONNECTIONS}`, hello, { connections: CONNECTIONS, ...grabJob(inStock) });
      if (r === 1) say(`  (load generator on cores ${helloRun.loadgenCores}, server on cores ${helloRun.serverCores})`);
      const grabRun = await run(`grab @${CONNECTIONS}`, grab, { connections: CONNECTIONS, ...grabJob(inStock) });
      const soldRun = await run(`sold-out @${CONNECTIONS}`, grab, { connections: CONNECTIONS, ...grabJob(soldOut) });
      const soldBytesRun = await run(`sold-out's bytes, bare @${CONNECTIONS}`, soldOutBytes, {
        connections: CONNECTIONS,
        ...grabJob(soldOut),
      });
      const grab500 = await run(`grab @${GRAB_CONNECTIONS}`, grab, {
        connections: GRAB_CONNECTIONS,
        ...grabJob(inStock),
      });
      const flow500 = await run(`grab+flow @${GRAB_CONNECTIONS}`, flowGrab, {
        connections: GRAB_CONNECTIONS,
        ...grabJob(inStock),
      });
      // Open loop at half of this round's grab maximum (autocannon overallRate).
      const rate = Math.max(1, Math.round(Math.max(grabRun.requestsPerSecond, grab500.requestsPerSecond) / 2));
      const open = await run(`grab open loop ${rate}/s @${CONNECTIONS}`, grab, {
        connections: CONNECTIONS,
        overallRate: rate,
        ...grabJob(inStock),
      });
      // The same rate against hello: the latency floor of this machine and load generator right now.
      const helloOpen = await run(`hello open loop ${rate}/s @${CONNECTIONS}`, hello, {
        connections: CONNECTIONS,
        overallRate: rate,
        ...grabJob(inStock),
      });
      rounds.push({
        hello: helloRun,
        grab: grabRun,
        soldOut: soldRun,
        soldOutBytes: soldBytesRun,
        grab500,
        flow500,
        open,
        helloOpen,
      });
    }
    for (const server of [hello, grab, flowGrab, soldOutBytes]) await server.process.stop();

    // CPU profiles of a grab server and a sold-out server, one run each, outside the rounds (the
    // profiler's own cost stays out of the figures). Written when the server exits on SIGTERM.
    const profileDir = join(REPO_ROOT, 'reports', 'profiles', reportName(at).replace(/\.json$/, ''));
    const profiles: Record<string, string> = {};
    for (const [name, couponId] of [
      ['grab', inStock],
      ['sold-out', soldOut],
    ] as const) {
      const dir = join(profileDir, name);
      say(`CPU profile of the ${name} server (${elapsed()})`);
      const server = await startServer(`profile-${name}`, [HOST_MAIN], compiled, ['--cpu-prof', '--cpu-prof-dir', dir]);
      await run(`${name} @${CONNECTIONS} (profiled)`, server, { connections: CONNECTIONS, ...grabJob(couponId) });
      await server.process.stop();
      profiles[name] = relative(REPO_ROOT, dir);
      say(`  profile: ${profiles[name]}/`);
    }

    // P6: spawn → ready of the compiled function process, as a pod starts it.
    say(
      `P6: spawn → ready of grab-coupon (compiled, image host, node ${imageNodeFlags.join(' ')}), ${SPAWNS} spawns (${elapsed()})`,
    );
    const spawnMs: number[] = [];
    for (let i = 0; i < SPAWNS; i++) {
      const server = await startServer(`spawn-${i}`, [HOST_MAIN], compiled);
      spawnMs.push(server.readyMs);
      await server.process.stop();
    }
    say(`  ${spawnMs.map((ms) => `${Math.round(ms)} ms`).join(', ')} (median ${Math.round(median(spawnMs))} ms)`);

    let framework: { host: LoadResult; ff: LoadResult } | undefined;
    if (FRAMEWORK) {
      say('compiled grab-coupon: image host vs functions-framework');
      const results: LoadResult[] = [];
      for (const [name, entry] of [
        ['host', HOST_MAIN],
        ['ff', 'node_modules/@google-cloud/functions-framework/build/src/main.js'],
      ] as const) {
        const server = await startServer(`grab-${name}`, [entry], compiled);
        results.push(
          await run(`${name} grab @${CONNECTIONS}`, server, { connections: CONNECTIONS, ...grabJob(inStock) }),
        );
        await server.process.stop();
      }
      const [host, ff] = results;
      if (host !== undefined && ff !== undefined) framework = { host, ff };
    }

    // 3c. Redis's own time per grab: with and without the flow buckets, alone and in batches.
    say(
      `Redis time per grab (INFO commandstats): one per script run, without and with coupon + user + address buckets, and in batches (${elapsed()})`,
    );
    const scriptCost = await benchScriptCost(redis, 30_000);
    say(
      `  one grab per run: ${scriptCost.plain.usecPerGrab.toFixed(1)} µs without rules, ${scriptCost.flow.usecPerGrab.toFixed(1)} µs with three buckets; ` +
        `batched: ${scriptCost.batched.usecPerGrab.toFixed(1)} µs (${scriptCost.batched.grabs} grabs in ${scriptCost.batched.calls} runs; medians of 3)`,
    );

    // 4. What a grab costs when Redis answers only once it is on disk.
    say(
      `Redis durability: grabs/s with appendfsync always vs everysec (64 at a time, median of 3 interleaved rounds) (${elapsed()})`,
    );
    const durability = await benchDurability(profile, { grabs: 20_000, concurrency: 64, rounds: 3 });
    say(
      `  appendfsync always ${Math.round(durability.always)} grabs/s, everysec ${Math.round(durability.everysec)} grabs/s`,
    );

    // 5. Order writes into sharded MariaDB.
    say(`order writes into sharded MariaDB (${elapsed()})`);
    const orders = await benchOrders(mysqlUrl, {
      count: ORDERS,
      batchSize: BATCH,
      rounds: ROUNDS,
      ...(mariadbServer.value.process === undefined ? {} : { serverPid: mariadbServer.value.process.pid }),
      log: say,
    });
    const durableAs = `innodb_flush_log_at_trx_commit=${orders.durability.innodbFlushLogAtTrxCommit}, sync_binlog=${orders.durability.syncBinlog}, binary log ${orders.durability.logBin ? 'on' : 'off'}`;
    say(`  both sides on one MariaDB: ${durableAs}`);
    orders.rounds.forEach((round, i) => {
      for (const [name, r] of [
        [`insertBatch(${BATCH})`, round.batch],
        ['one row per transaction', round.singleRow],
      ] as const) {
        say(
          `  round ${i + 1} ${name.padEnd(24)} ${r.orders} orders in ${r.seconds.toFixed(2)} s = ${Math.round(r.perSecond)} orders/s` +
            `  CPU per order: client ${r.clientCpuMicrosPerOrder.toFixed(1)} µs, MariaDB ${r.serverCpuMicrosPerOrder?.toFixed(1) ?? '?'} µs`,
        );
      }
    });
    return { rounds, profiles, spawnMs, framework, scriptCost, durability, orders, durableAs };
  };
  const rest = ROUNDS_AND_REST ? await measureRest() : undefined;

  let whole: WholeSaleResult | undefined;
  if (WHOLE_SALE) {
    say(
      `P4 whole sale: ${WHOLE.attempts} attempts, ${WHOLE.users} users, stock ${WHOLE.stock}, limit ${WHOLE.perUserLimit}, @${WHOLE.connections}; real path vs naive synchronous server (${elapsed()})`,
    );
    say('  starting Kafka…');
    const kafka = await startKafka({ profile });
    closers.push(() => kafka.process?.stop() ?? Promise.resolve());
    say(`  Kafka ready in ${(kafka.startMs / 1000).toFixed(1)} s`);
    whole = await benchWholeSale(
      {
        endpoints: { redisUrl, mysqlUrl, kafkaBrokers: kafka.endpoint },
        jwks,
        profile,
        pin,
        log: say,
        ...(SEMI_SPACE_MIB > 0 ? { functionNodeArgs: [`--max-semi-space-size=${SEMI_SPACE_MIB}`] } : {}),
      },
      WHOLE,
    );
    await kafka.process?.stop();
  }

  // P1–P3, then P4 and memory, then P6 and the rest.
  const figures: Figure[] = [];
  if (rest !== undefined) {
    const { rounds, scriptCost, durability, orders } = rest;
    const orderCpu = (r: WriteRate) => r.clientCpuMicrosPerOrder + (r.serverCpuMicrosPerOrder ?? Number.NaN);
    const each = (pick: (r: Round) => { value: number; baseline?: number }) => rounds.map(pick);
    const openRate = Math.round(median(rounds.map((r) => r.open.overallRate ?? Number.NaN)));
    const helloName = `hello @${CONNECTIONS}`;
    figures.push(
      {
        name: `P1 grab req/s @${CONNECTIONS}`,
        unit: 'req/s',
        baselineName: helloName,
        goal: { kind: 'ratio-at-least', min: 0.5 },
        samples: each((r) => ({ value: r.grab.requestsPerSecond, baseline: r.hello.requestsPerSecond })),
      },
      {
        name: `P1 grab p99, open loop ≈${formatNumber(openRate)}/s (½ max)`,
        unit: 'ms',
        baselineName: 'hello p99, same rate',
        goal: { kind: 'value-at-most', max: 10 },
        samples: each((r) => ({ value: r.open.p99Ms, baseline: r.helloOpen.p99Ms })),
      },
      {
        name: `P1 grab p99 ÷ p50 @${GRAB_CONNECTIONS}`,
        unit: 'ms',
        baselineName: `grab p50 @${GRAB_CONNECTIONS}`,
        goal: { kind: 'ratio-at-most', max: 5 },
        samples: each((r) => ({ value: r.grab500.p99Ms, baseline: r.grab500.p50Ms })),
      },
      {
        name: `grab req/s @${GRAB_CONNECTIONS}`,
        unit: 'req/s',
        baselineName: helloName,
        goal: { kind: 'none' },
        samples: each((r) => ({ value: r.grab500.requestsPerSecond, baseline: r.hello.requestsPerSecond })),
      },
      {
        name: `P2 sold-out req/s @${CONNECTIONS}`,
        unit: 'req/s',
        baselineName: helloName,
        goal: { kind: 'ratio-at-least', min: 0.9 },
        samples: each((r) => ({ value: r.soldOut.requestsPerSecond, baseline: r.hello.requestsPerSecond })),
      },
      {
        name: `sold-out's answer by bare node:http @${CONNECTIONS}`,
        unit: 'req/s',
        baselineName: helloName,
        goal: { kind: 'none' },
        samples: each((r) => ({ value: r.soldOutBytes.requestsPerSecond, baseline: r.hello.requestsPerSecond })),
      },
      {
        name: `grab server CPU per request @${CONNECTIONS}`,
        unit: 'µs',
        baselineName: helloName,
        goal: { kind: 'none' },
        samples: each((r) => ({
          value: r.grab.serverCpuMicrosPerRequest,
          baseline: r.hello.serverCpuMicrosPerRequest,
        })),
      },
      {
        name: `sold-out server CPU per request @${CONNECTIONS}`,
        unit: 'µs',
        baselineName: helloName,
        goal: { kind: 'none' },
        samples: each((r) => ({
          value: r.soldOut.serverCpuMicrosPerRequest,
          baseline: r.hello.serverCpuMicrosPerRequest,
        })),
      },
      {
        name: `grab+flow req/s @${GRAB_CONNECTIONS}`,
        unit: 'req/s',
        baselineName: `grab @${GRAB_CONNECTIONS}, no rules`,
        goal: { kind: 'ratio-at-least', min: 0.9 },
        samples: each((r) => ({ value: r.flow500.requestsPerSecond, baseline: r.grab500.requestsPerSecond })),
      },
      {
        name: 'Redis µs per grab script, 3 flow buckets',
        unit: 'µs',
        baselineName: 'no flow rules',
        goal: { kind: 'none' },
        samples: [{ value: scriptCost.flow.usecPerGrab, baseline: scriptCost.plain.usecPerGrab }],
      },
      {
        name: 'Redis µs per grab, batched (100 at once)',
        unit: 'µs',
        baselineName: 'one grab per script run',
        goal: { kind: 'none' },
        samples: [{ value: scriptCost.batched.usecPerGrab, baseline: scriptCost.plain.usecPerGrab }],
      },
      {
        name: 'grabs/s, appendfsync always',
        unit: 'grabs/s',
        baselineName: 'appendfsync everysec',
        goal: { kind: 'none' },
        samples: [{ value: durability.always, baseline: durability.everysec }],
      },
      {
        name: `P3 orders/s insertBatch(${BATCH})`,
        unit: 'orders/s',
        baselineName: '1 row/txn',
        goal: { kind: 'ratio-at-least', min: 10 },
        samples: orders.rounds.map((r) => ({ value: r.batch.perSecond, baseline: r.singleRow.perSecond })),
      },
      {
        name: `P3 orders/s per core insertBatch(${BATCH})`,
        unit: 'orders/s',
        baselineName: '1 row/txn',
        goal: { kind: 'value-at-least', min: 5000 },
        samples: orders.rounds.map((r) => ({
          value: r.batch.perSecond / machine.cores,
          baseline: r.singleRow.perSecond / machine.cores,
        })),
      },
      {
        // Both sides are CPU-bound on a small machine: what each order costs the client and MariaDB
        // together, less sensitive to what else the machine runs than orders/s.
        name: `P3 CPU per order insertBatch(${BATCH})`,
        unit: 'µs',
        baselineName: '1 row/txn',
        goal: { kind: 'none' },
        samples: orders.rounds.map((r) => ({ value: orderCpu(r.batch), baseline: orderCpu(r.singleRow) })),
      },
    );
  }
  if (whole !== undefined) {
    const size = `${formatNumber(whole.options.attempts / 1000)}k attempts`;
    figures.push(
      {
        // Reversed on purpose (naive time / our time): how many times sooner our whole sale is done.
        name: `P4 whole sale, first request → all durable: naive ÷ ours (${size})`,
        unit: 's',
        baselineName: 'ours',
        goal: { kind: 'ratio-at-least', min: 10 },
        samples: [{ value: whole.naive.totalSeconds, baseline: whole.ours.totalSeconds }],
      },
      {
        name: 'P4 whole sale, last answer → all durable',
        unit: 's',
        goal: { kind: 'value-at-most', max: 5 },
        samples: [{ value: whole.ours.settleSeconds }],
      },
      {
        name: `whole sale grab req/s (${size} @${whole.options.connections})`,
        unit: 'req/s',
        baselineName: 'naive sync server',
        goal: { kind: 'none' },
        samples: [{ value: whole.ours.requestsPerSecond, baseline: whole.naive.requestsPerSecond }],
      },
    );
    for (const m of whole.memory) {
      figures.push(
        m.limitMiB === undefined
          ? {
              name: `memory ${m.name} peak RSS (no chart limit)`,
              unit: 'MiB',
              goal: { kind: 'none' },
              samples: [{ value: m.peakMiB }],
            }
          : {
              name: `memory ${m.name} peak RSS`,
              unit: 'MiB',
              baselineName: 'chart limit',
              goal: { kind: 'share-at-most', max: 0.7, of: 'limit' },
              samples: [{ value: m.peakMiB, baseline: m.limitMiB }],
            },
      );
    }
  }
  if (rest !== undefined) {
    const { spawnMs, framework } = rest;
    figures.push({
      name: 'P6 grab-coupon spawn → ready',
      unit: 'ms',
      goal: { kind: 'value-at-most', max: 300 },
      samples: spawnMs.map((value) => ({ value })),
    });
    if (framework !== undefined) {
      figures.push({
        name: `host grab req/s @${CONNECTIONS} (dist)`,
        unit: 'req/s',
        baselineName: 'functions-framework',
        goal: { kind: 'none' },
        samples: [{ value: framework.host.requestsPerSecond, baseline: framework.ff.requestsPerSecond }],
      });
    }
  }
  const evaluated = figures.map(evaluate);
  // What the table leaves out: how each side's whole sale ended, and each process's memory.
  const notes: string[] = [];
  if (whole !== undefined) {
    notes.push(
      `P4: ${whole.pinning}${SEMI_SPACE_MIB > 0 ? `; functions started with --max-semi-space-size=${SEMI_SPACE_MIB} (an experiment: the image passes no node options)` : ''}.`,
      `Whole sale invariants, ours: \`${whole.ours.invariants}\`${whole.ours.clean ? '' : ' ← NOT CLEAN'}; naive: \`${whole.naive.invariants}\`${whole.naive.clean ? '' : ' ← NOT CLEAN'}.`,
      `${describeCpu(whole.cpu, whole.ours.totalSeconds)}.`,
      ...whole.memory.map((m) => `Memory under the whole sale: ${describeMemory(m)}.`),
    );
    if (!whole.ours.clean || !whole.naive.clean) exitCode = 1;
  }
  say('');
  say(describeMachine(machine));
  say(formatTable(evaluated));
  for (const note of notes) say(note);

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
          pinning: pin,
          rounds: ROUNDS,
          durationSeconds: DURATION_S,
          warmupSeconds: WARMUP_S,
          connections: CONNECTIONS,
          grabConnections: GRAB_CONNECTIONS,
          users: USERS,
        },
        ...(rest === undefined
          ? {}
          : {
              rounds: rest.rounds,
              profiles: rest.profiles,
              spawnToReadyMs: rest.spawnMs,
              ...(rest.framework === undefined ? {} : { framework: rest.framework }),
              orders: rest.orders,
            }),
        ...(whole === undefined ? {} : { wholeSale: whole }),
        figures: evaluated,
      },
      null,
      2,
    )}\n`,
  );
  say(`report: ${file} (${elapsed()} in all)`);

  // The results table of docs/performance.md is this run's, when it measured every figure and
  // no invariant broke.
  if (exitCode === 0 && rest !== undefined && whole !== undefined && SEMI_SPACE_MIB === 0) {
    const page = join(REPO_ROOT, 'docs', 'performance.md');
    const lines = [
      `Last run ${at.toISOString().slice(0, 10)}, ${describeMachine(machine)}:`,
      '',
      formatTable(evaluated),
      '',
      `${ROUNDS} rounds; orders on one MariaDB with ${rest.durableAs} for both sides.`,
      ...notes.flatMap((note) => ['', note]),
    ];
    writeFileSync(page, withResults(readFileSync(page, 'utf8'), lines.join('\n')));
    say(`results table: ${page}`);
  } else if (exitCode === 0) {
    say(
      'results table of docs/performance.md left as it was: this run did not measure every figure as the image runs it',
    );
  }
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);

/**
 * Status, headers and body of the answer a grab request gets (the second of two, so a sold-out
 * coupon's is the shortcut's), without the headers node:http adds to every answer.
 */
async function recordAnswer(url: string, authorization: string) {
  const ask = () => fetch(url, { method: 'POST', headers: { authorization } });
  await (await ask()).arrayBuffer();
  const answer = await ask();
  const body = await answer.text();
  const requestId = answer.headers.get('x-request-id') ?? '';
  if (requestId === '' || !body.includes(requestId)) throw new Error(`unexpected answer ${answer.status}: ${body}`);
  const perConnection = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
  const headers = [...answer.headers].filter(([name]) => !perConnection.has(name));
  return { status: answer.status, headers, body, requestId };
}
