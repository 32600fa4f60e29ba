/**
 * P4 of `make bench`: one whole sale, first request → every accepted grab durable, through the
 * real grab → outbox → Kafka → order worker → shards path with every part a process of its own —
 * grab-coupon, outbox-relay and create-order each as the compiled image entry
 * (shared/runtime/dist/src/main.js), the KafkaSource in front of the order worker (make dev's
 * stand-in, kafkasource-process.ts) and the load generator (sale-loadgen.ts) — next to the same
 * sale through a naive synchronous server (naive-sale.ts: one MySQL transaction per request, row
 * lock on the coupon) driven by the same load generator. Same presses, users, stock, limit and
 * connections on both sides. The load generator is pinned as in the other runs; the servers,
 * Redis, MariaDB and Kafka are not pinned (our side has more processes than a core).
 * While our sale runs, the resident memory of each of our processes is sampled (memory.ts).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { issueAccessToken } from '@couponkill/auth';
import { imageTarget } from '@couponkill/images/stage';
import { CouponStore, DEFAULT_COUPONS_DATABASE, toSaleSettings } from '@couponkill/coupons';
import { createPool, withDatabase } from '@couponkill/db';
import { OrderStore, orderShardingSchema } from '@couponkill/orders';
import { createRedis, redisOptionsSchema } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import { REPO_ROOT, type ServerProcess, spawnServer, stateDir, waitFor } from '@couponkill/servers';
import { loadManifests } from '@couponkill/manifest';
import { checkInvariants, shuffle } from '@couponkill/system-tests';
import { type JwksFixture, TEST_AUDIENCE, TEST_ISSUER } from '@couponkill/testkit';
import {
  allowedCores,
  cpuSeconds,
  fireSale,
  readMachineCpu,
  readProcCpu,
  type Pinning,
  type SaleLoadProgress,
  type SaleLoadResult,
  startNode,
} from './load.js';
import {
  chartMemoryLimits,
  describeHeap,
  describeMemory,
  heapBreakdown,
  type ProcessMemory,
  RssSampler,
} from './memory.js';

export interface WholeSaleOptions {
  readonly attempts: number;
  readonly users: number;
  readonly stock: number;
  readonly perUserLimit: number;
  readonly connections: number;
}

export interface WholeSaleContext {
  readonly endpoints: {
    readonly redisUrl: string;
    readonly mysqlUrl: string;
    readonly kafkaBrokers: readonly string[];
  };
  /** The keys the users' tokens are signed with, and where the functions find the public ones. */
  readonly jwks: JwksFixture;
  readonly profile: string;
  readonly pin: Pinning;
  readonly log: (line: string) => void;
  /** Node options for the function processes (an experiment: the image passes none). */
  readonly functionNodeArgs?: readonly string[];
}

export interface SaleRun {
  readonly attempts: number;
  readonly answered: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly accepted: number;
  /** First request → last answer. */
  readonly grabSeconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Last answer → every accepted grab durable (0 for the naive server: it answers after COMMIT). */
  readonly settleSeconds: number;
  /** First request → every accepted grab durable. */
  readonly totalSeconds: number;
  readonly loadgenCores: string;
  readonly loadgenCpuShare: number;
  readonly invariants: string;
  readonly clean: boolean;
}

export interface WholeSaleResult {
  readonly options: WholeSaleOptions;
  /** Which processes were pinned to which cores. */
  readonly pinning: string;
  readonly ours: SaleRun;
  readonly naive: SaleRun;
  /** Resident memory of our processes over our sale. */
  readonly memory: readonly ProcessMemory[];
  /** CPU over our sale, first request → all durable: what bounds it on this machine. */
  readonly cpu: SaleCpu;
}

export interface SaleCpu {
  /** CPU seconds of each of our processes (the load generator's is its core share in `ours`). */
  readonly perProcessSeconds: Readonly<Record<string, number>>;
  /** The whole machine: busy share of all its cores over the same time (everything counted). */
  readonly machineBusyShare: number;
  readonly cores: number;
}

/** The compiled image entry every function image runs. */
export const HOST_MAIN = 'shared/runtime/dist/src/main.js';
const KAFKASOURCE = 'tools/bench/src/chaos/kafkasource-process.ts';
const PROGRESS_MS = 3000;
const SETTLE_TIMEOUT_MS = 120_000;
const now = () => performance.timeOrigin + performance.now();
const userId = (i: number) => `ws-${String(i).padStart(6, '0')}`;
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

/** How the whole sale's processes are placed, for the log and the report. */
export function describeSalePinning(pin: Pinning): string {
  return pin.loadgen === undefined
    ? 'NOT pinned: load generator, functions, KafkaSource, naive server, Redis, MariaDB and Kafka share the cores'
    : `load generator on core ${pin.loadgen} (taskset); grab-coupon, outbox-relay, create-order, KafkaSource, the naive server, Redis, MariaDB and Kafka unpinned`;
}

/**
 * The send order: `users` users, the attempts spread as evenly as possible over them, users
 * shuffled, a user's presses next to each other (they go out together, as a burst).
 */
export function pressOrder(options: Pick<WholeSaleOptions, 'attempts' | 'users'>): number[] {
  const presses: number[] = [];
  for (const user of shuffle(Array.from({ length: options.users }, (_, i) => i))) {
    const n = Math.floor(options.attempts / options.users) + (user < options.attempts % options.users ? 1 : 0);
    for (let i = 0; i < n; i++) presses.push(user);
  }
  return presses;
}

const describeStatuses = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .map(([code, n]) => `${code}=${n}`)
    .join(' ');

function progressLogger(label: string, total: number, log: (line: string) => void, extra: () => string = () => '') {
  let previous = { at: now(), answered: 0 };
  return (p: SaleLoadProgress) => {
    const at = now();
    const rate = ((p.answered - previous.answered) / (at - previous.at)) * 1000;
    previous = { at, answered: p.answered };
    log(
      `  ${label}: ${thousands(p.answered)}/${thousands(total)} answered, ${thousands(rate)}/s [${describeStatuses(p.statuses)}]${extra()}`,
    );
  };
}

/** Every accepted grab no longer QUEUED (an order, or compensated); re-reads only those still QUEUED. Returns when (epoch ms). */
async function settle(sale: Sale, grabIds: readonly string[], log: (line: string) => void): Promise<number> {
  const started = now();
  let lastLog = started;
  let pending = [...grabIds];
  while (pending.length > 0) {
    const records = await Promise.all(pending.map((id) => sale.record(id)));
    pending = pending.filter((_, i) => records[i] === undefined || records[i]?.status === 'QUEUED');
    if (pending.length === 0) break;
    const at = now();
    if (at - started > SETTLE_TIMEOUT_MS) throw new Error(`${pending.length} grabs still QUEUED after 120 s`);
    if (at - lastLog >= PROGRESS_MS) {
      log(
        `  ours: ${thousands(pending.length)} accepted grabs not yet durable after ${((at - started) / 1000).toFixed(1)} s`,
      );
      lastLog = at;
    }
    await sleep(50);
  }
  return now();
}

function runOf(
  options: WholeSaleOptions,
  load: SaleLoadResult,
  accepted: number,
  durableAtMs: number,
  invariants: string,
  clean: boolean,
): SaleRun {
  const grabMs = load.lastAnswerAtMs - load.startedAtMs;
  return {
    attempts: options.attempts,
    answered: load.answered,
    statuses: load.statuses,
    errors: load.errors,
    timeouts: load.timeouts,
    accepted,
    grabSeconds: grabMs / 1000,
    requestsPerSecond: (load.answered / grabMs) * 1000,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    settleSeconds: Math.max(0, durableAtMs - load.lastAnswerAtMs) / 1000,
    totalSeconds: (Math.max(durableAtMs, load.lastAnswerAtMs) - load.startedAtMs) / 1000,
    loadgenCores: load.loadgenCores,
    loadgenCpuShare: load.loadgenCpuShare,
    invariants,
    // A sale whose load generator lost answers did not measure the whole sale.
    clean: clean && load.answered === options.attempts && load.errors + load.timeouts === 0,
  };
}

export async function benchWholeSale(ctx: WholeSaleContext, options: WholeSaleOptions): Promise<WholeSaleResult> {
  const { log } = ctx;
  const dir = stateDir(ctx.profile, 'bench');
  const pressesFile = join(dir, 'sale-presses.json');
  writeFileSync(pressesFile, JSON.stringify(pressOrder(options)));
  const pinning = describeSalePinning(ctx.pin);
  log(`  ${pinning}`);

  const tokens: string[] = [];
  for (let i = 0; i < options.users; i += 1000) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(1000, options.users - i) }, (_, j) =>
        issueAccessToken(
          ctx.jwks.ring,
          { userId: userId(i + j), roles: ['user'] },
          { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, ttlSeconds: 3600 },
        ),
      ),
    );
    tokens.push(...batch.map((t) => `Bearer ${t.token}`));
  }
  const oursUsers = join(dir, 'sale-users-ours.json');
  writeFileSync(oursUsers, JSON.stringify(tokens));
  log(`  ${thousands(options.users)} users' tokens signed`);

  const { run: ours, memory, cpu } = await runOurs(ctx, options, { pressesFile, usersFile: oursUsers });

  // The naive server authenticates nothing: the bearer token is the user id.
  const naiveUsers = join(dir, 'sale-users-naive.json');
  writeFileSync(naiveUsers, JSON.stringify(Array.from({ length: options.users }, (_, i) => `Bearer ${userId(i)}`)));
  const naive = await runNaive(ctx, options, { pressesFile, usersFile: naiveUsers });
  return { options, pinning, ours, naive, memory, cpu };
}

async function runOurs(
  ctx: WholeSaleContext,
  options: WholeSaleOptions,
  files: { readonly pressesFile: string; readonly usersFile: string },
): Promise<{ run: SaleRun; memory: ProcessMemory[]; cpu: SaleCpu }> {
  const { log, profile } = ctx;
  const { redisUrl, mysqlUrl, kafkaBrokers } = ctx.endpoints;
  const redis = createRedis(redisOptionsSchema.parse({ url: redisUrl }), 'bench-sale');
  const sale = new Sale(redis);
  // The rounds before left millions of grabs (and their outbox) in this Redis: the sale starts on an empty one.
  await redis.flushall();
  await CouponStore.migrate(mysqlUrl, DEFAULT_COUPONS_DATABASE);
  const coupons = CouponStore.open(mysqlUrl, DEFAULT_COUPONS_DATABASE, 1);
  const orders = OrderStore.open(mysqlUrl, orderShardingSchema.parse({}), 2);
  const processes: ServerProcess[] = [];
  try {
    const coupon = await coupons.create({
      name: 'Bench whole sale',
      type: 'normal',
      faceValueCents: 10_000,
      minSpendCents: 50_000,
      validDays: 7,
      perUserLimit: options.perUserLimit,
      totalStock: options.stock,
      startAt: null,
      endAt: null,
      status: 'active',
    });
    await sale.preheat(coupon.id, toSaleSettings(coupon), async () => 0);

    // Every function as its image runs it: the compiled module under the image host, unpinned.
    const fn = async (name: string, env: Record<string, string>) => {
      const server = await startNode({
        profile,
        name,
        args: [HOST_MAIN],
        // As the function's image starts it, plus the run's experiment flags if any.
        nodeArgs: [...imageTarget(REPO_ROOT, name).entrypoint.slice(1, -1), ...(ctx.functionNodeArgs ?? [])],
        env: {
          ...env,
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production', // as the image sets it
          FUNCTION_TARGET: name,
          FUNCTION_SOURCE: `functions/${name}/dist/src/index.js`,
        },
        readyPath: '/health/readiness',
        cwd: REPO_ROOT,
      });
      processes.push(server.process);
      return server;
    };
    log('  starting outbox-relay and create-order, then the KafkaSource and grab-coupon (compiled, image host)…');
    const [relay, worker] = await Promise.all([
      // The relay creates the topics, as make dev's does (an init Job in the cluster).
      fn('outbox-relay', {
        REDIS_URL: redisUrl,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        CREATE_TOPICS: 'true',
        TOPIC_PARTITIONS: '12',
        RELAY_CONSUMER: 'bench-relay',
      }),
      fn('create-order', { MYSQL_URL: mysqlUrl, REDIS_URL: redisUrl, MIGRATE_ON_START: 'true', ...ctx.jwks.env }),
    ]);
    // In the cluster the queue-proxy in front of the order worker admits its containerConcurrency
    // at a time; the KafkaSource stand-in holds the others back the same way.
    const sinkConcurrency = loadManifests(REPO_ROOT).find((m) => m.name === 'create-order')?.scaling
      .containerConcurrency;
    const readyFile = join(stateDir(profile, 'bench'), 'kafkasource.ready');
    rmSync(readyFile, { force: true });
    const source = spawnServer({
      name: 'kafkasource',
      command: process.execPath,
      args: ['--conditions=source', '--import', 'tsx', KAFKASOURCE],
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        SINK_URL: `${worker.url}/`,
        REDIS_URL: redisUrl,
        READY_FILE: readyFile,
        LOG_LEVEL: 'warn',
        ...(sinkConcurrency === undefined || sinkConcurrency === 0
          ? {}
          : { SINK_MAX_IN_FLIGHT: String(sinkConcurrency) }),
      },
      logFile: join(stateDir(profile, 'bench'), 'kafkasource.log'),
      pidFile: join(stateDir(profile, 'bench'), 'kafkasource.pid'),
    });
    processes.push(source);
    const [grab] = await Promise.all([
      fn('grab-coupon', { REDIS_URL: redisUrl, ...ctx.jwks.env, NACOS_SERVER_ADDR: '' }),
      waitFor(async () => existsSync(readyFile), { what: 'kafkasource', timeoutMs: 60_000, server: source }),
    ]);
    const targets = [
      { name: 'grab-coupon', pid: grab.process.pid },
      { name: 'outbox-relay', pid: relay.process.pid },
      { name: 'create-order', pid: worker.process.pid },
      { name: 'kafkasource', pid: source.pid },
    ];
    for (const t of targets) log(`  ${t.name}: pid ${t.pid}, cores ${allowedCores(t.pid)}`);
    log(
      `  KafkaSource → create-order: ${sinkConcurrency ? `at most ${sinkConcurrency} deliveries in flight (create-order's containerConcurrency)` : 'deliveries in flight unbounded'}`,
    );

    const sampler = new RssSampler(targets);
    const cpuOf = () => ({ machine: readMachineCpu(), seconds: targets.map((t) => cpuSeconds(readProcCpu(t.pid))) });
    let cpuBefore = cpuOf();
    let cpu: SaleCpu | undefined;
    let memory: ProcessMemory[] = [];
    let load: SaleLoadResult;
    let durableAtMs: number;
    try {
      log(`  ours: firing ${thousands(options.attempts)} grabs @${options.connections}…`);
      cpuBefore = cpuOf();
      load = await fireSale(
        {
          url: grab.url,
          path: `/api/v1/coupons/${coupon.id}/grab`,
          connections: options.connections,
          usersFile: files.usersFile,
          pressesFile: files.pressesFile,
          timeoutSeconds: 30,
          progressMs: PROGRESS_MS,
          grabIdStatus: 202,
        },
        ctx.pin,
        progressLogger('ours', options.attempts, log, () => `  RSS ${sampler.latestLine()}`),
      );
      durableAtMs = await settle(sale, load.grabIds, log);
      const after = cpuOf();
      cpu = {
        perProcessSeconds: Object.fromEntries(
          targets.map((t, i) => [t.name, (after.seconds[i] ?? 0) - (cpuBefore.seconds[i] ?? 0)]),
        ),
        machineBusyShare:
          (after.machine.busyTicks - cpuBefore.machine.busyTicks) /
          Math.max(1, after.machine.totalTicks - cpuBefore.machine.totalTicks),
        cores: availableParallelism(),
      };
    } finally {
      memory = sampler.stop(chartMemoryLimits(REPO_ROOT));
    }
    // Where each function's memory is now, from its own metrics (prom-client's process metrics).
    const urls = new Map([
      ['grab-coupon', grab.url],
      ['outbox-relay', relay.url],
      ['create-order', worker.url],
    ]);
    memory = await Promise.all(
      memory.map(async (m) => {
        const url = urls.get(m.name);
        if (url === undefined) return m;
        try {
          const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
          return { ...m, atEnd: heapBreakdown(await response.text()) };
        } catch {
          return m;
        }
      }),
    );
    const report = await checkInvariants(
      {
        couponId: coupon.id,
        initialStock: options.stock,
        perUserLimit: options.perUserLimit,
        acceptedGrabIds: load.grabIds,
      },
      orders,
      sale,
    );
    const clean =
      report.oversell + report.overLimit + report.lost + report.duplicate + report.stranded === 0 &&
      report.orders + report.compensated === load.grabIds.length;
    const line = `${report.line} (orders=${report.orders} compensated=${report.compensated} stock_left=${report.stockLeft})`;
    const run = runOf(options, load, load.grabIds.length, durableAtMs, line, clean);
    log(
      `  ours: ${thousands(run.requestsPerSecond)} req/s for ${run.grabSeconds.toFixed(2)} s [${describeStatuses(run.statuses)}]` +
        `${run.errors + run.timeouts > 0 ? ` errors ${run.errors} timeouts ${run.timeouts}` : ''} p50 ${run.p50Ms} p99 ${run.p99Ms} ms,` +
        ` durable ${run.settleSeconds.toFixed(2)} s after the last answer, ${run.totalSeconds.toFixed(2)} s in all;` +
        ` load generator ${Math.round(run.loadgenCpuShare * 100)}% of core ${run.loadgenCores}`,
    );
    log(`  ours invariants: ${line}`);
    if (cpu !== undefined) log(`  ${describeCpu(cpu, run.totalSeconds)}`);
    for (const m of memory) {
      log(`  memory: ${describeMemory(m)}`);
      if (m.atEnd !== undefined) log(`    ${m.name} after the sale: ${describeHeap(m.atEnd)}`);
    }
    if (cpu === undefined) throw new Error('the sale ended without a CPU reading');
    return { run, memory, cpu };
  } finally {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    await coupons.close().catch(() => undefined);
    await orders.close().catch(() => undefined);
    redis.disconnect();
  }
}

async function runNaive(
  ctx: WholeSaleContext,
  options: WholeSaleOptions,
  files: { readonly pressesFile: string; readonly usersFile: string },
): Promise<SaleRun> {
  const { log } = ctx;
  // In its own process, unpinned as our servers are, with a database of its own on the same MariaDB.
  const database = `naive_${process.pid}`;
  const naiveServer = await startNode({
    profile: ctx.profile,
    name: 'naive-sale',
    args: ['--conditions=source', '--import', 'tsx', 'tools/bench/src/bench/naive-sale.ts'],
    env: {
      MYSQL_URL: ctx.endpoints.mysqlUrl,
      NAIVE_DATABASE: database,
      NAIVE_STOCK: String(options.stock),
      NAIVE_LIMIT: String(options.perUserLimit),
    },
    readyPath: '/',
    cwd: REPO_ROOT,
  });
  log(`  naive-sale: pid ${naiveServer.process.pid}, cores ${allowedCores(naiveServer.process.pid)}`);
  const pool = createPool({ url: withDatabase(ctx.endpoints.mysqlUrl, database), connectionLimit: 1 });
  try {
    log(`  naive: firing ${thousands(options.attempts)} grabs @${options.connections}…`);
    const load = await fireSale(
      {
        url: naiveServer.url,
        path: '/api/v1/coupons/1/grab',
        connections: options.connections,
        usersFile: files.usersFile,
        pressesFile: files.pressesFile,
        timeoutSeconds: 30,
        progressMs: PROGRESS_MS,
      },
      ctx.pin,
      progressLogger('naive', options.attempts, log),
    );
    const accepted = load.statuses['200'] ?? 0;
    const [rows] = await pool.query(
      `SELECT (SELECT stock FROM naive_coupon WHERE id = 1) AS stock_left,
              (SELECT COUNT(*) FROM naive_order) AS orders,
              (SELECT COUNT(*) FROM (SELECT user_id FROM naive_order GROUP BY user_id HAVING COUNT(*) > ?) o) AS over_limit`,
      [options.perUserLimit],
    );
    const facts = (rows as Array<Record<string, unknown>>)[0];
    const stockLeft = Number(facts?.['stock_left']);
    const orders = Number(facts?.['orders']);
    const overLimit = Number(facts?.['over_limit']);
    const oversell = Math.max(0, orders - options.stock);
    const lost = Math.max(0, accepted - orders);
    const stranded = Math.max(0, options.stock - stockLeft - orders);
    const line = `oversell=${oversell} over_limit=${overLimit} lost=${lost} duplicate=${Math.max(0, orders - accepted)} stranded=${stranded} (orders=${orders} stock_left=${stockLeft})`;
    // Every 200 is answered after its COMMIT: durable at the last answer.
    const run = runOf(
      options,
      load,
      accepted,
      load.lastAnswerAtMs,
      line,
      oversell + overLimit + lost + stranded === 0 && orders === accepted,
    );
    log(
      `  naive: ${thousands(run.requestsPerSecond)} req/s for ${run.grabSeconds.toFixed(2)} s [${describeStatuses(run.statuses)}]` +
        `${run.errors + run.timeouts > 0 ? ` errors ${run.errors} timeouts ${run.timeouts}` : ''} p50 ${run.p50Ms} p99 ${run.p99Ms} ms` +
        ` (every 200 answered after its COMMIT); load generator ${Math.round(run.loadgenCpuShare * 100)}% of core ${run.loadgenCores}`,
    );
    log(`  naive invariants: ${line}`);
    return run;
  } finally {
    await pool.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    await pool.end();
    await naiveServer.process.stop();
  }
}

/** Where our sale's CPU went, and how close the machine was to full. */
export function describeCpu(cpu: SaleCpu, seconds: number): string {
  const parts = Object.entries(cpu.perProcessSeconds).map(([name, s]) => `${name} ${s.toFixed(1)} s`);
  return (
    `CPU over our sale (${seconds.toFixed(1)} s, first request → all durable): ${parts.join(', ')}; ` +
    `the machine's ${cpu.cores} cores ${Math.round(cpu.machineBusyShare * 100)} % busy (load generator, Redis, Kafka and MariaDB included)`
  );
}
