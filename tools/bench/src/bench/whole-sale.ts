/**
 * `make bench ARGS=--whole-sale`: one whole sale, first request → every accepted grab
 * durable, through the real grab → outbox → Kafka → order worker → shards path (SaleRig), next
 * to the same sale run through a naive synchronous server (naive-sale.ts: one MySQL transaction
 * per request, row lock on the coupon). Same attempts, users, stock, limit and connections.
 */
import { createPool, withDatabase } from '@couponkill/db';
import { REPO_ROOT } from '@couponkill/servers';
import { checkInvariants, fireGrabs, type GrabAttempt, SaleRig, shuffle } from '@couponkill/system-tests';
import { startNode } from './load.js';

export interface WholeSaleOptions {
  readonly attempts: number;
  readonly users: number;
  readonly stock: number;
  readonly perUserLimit: number;
  readonly connections: number;
}

export interface SaleRun {
  readonly attempts: number;
  readonly statuses: Record<number, number>;
  readonly accepted: number;
  /** First request → last answer. */
  readonly grabSeconds: number;
  readonly requestsPerSecond: number;
  /** Last answer → every accepted grab durable (0 for the naive server: it answers after COMMIT). */
  readonly settleSeconds: number;
  /** First request → every accepted grab durable. */
  readonly totalSeconds: number;
  readonly invariants: string;
  readonly clean: boolean;
}

export interface WholeSaleResult {
  readonly options: WholeSaleOptions;
  readonly ours: SaleRun;
  readonly naive: SaleRun;
}

/**
 * As sale-load's settle (every accepted grab no longer QUEUED), but re-reads only the grabs still
 * QUEUED, so that polling 10,000 records does not compete with the relay for the same process.
 */
async function settleAll(rig: SaleRig, grabIds: readonly string[], log: (line: string) => void): Promise<number> {
  const started = performance.now();
  let pending = [...grabIds];
  let lastLog = started;
  while (pending.length > 0) {
    const records = await Promise.all(pending.map((id) => rig.sale.record(id)));
    pending = pending.filter((_, i) => records[i] === undefined || records[i]?.status === 'QUEUED');
    if (pending.length === 0) break;
    const now = performance.now();
    if (now - started > 120_000) throw new Error(`${pending.length} grabs still QUEUED after 120 s`);
    if (now - lastLog > 5000) {
      log(`  ours: ${pending.length} accepted grabs not yet durable after ${((now - started) / 1000).toFixed(1)} s`);
      lastLog = now;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - started;
}

/** `users` users, attempts spread as evenly as possible (a user's presses go out as one burst), shuffled. */
function waves(options: WholeSaleOptions, tokenOf: (userId: string, i: number) => string): GrabAttempt[][] {
  const out: GrabAttempt[][] = [];
  for (let i = 0; i < options.users; i++) {
    const presses = Math.floor(options.attempts / options.users) + (i < options.attempts % options.users ? 1 : 0);
    const userId = `ws-${String(i).padStart(6, '0')}`;
    const token = tokenOf(userId, i);
    out.push(Array.from({ length: presses }, () => ({ userId, token })));
  }
  return out;
}

export async function benchWholeSale(
  endpoints: { readonly redisUrl: string; readonly mysqlUrl: string; readonly kafkaBrokers: readonly string[] },
  options: WholeSaleOptions,
  profile: string,
  log: (line: string) => void,
): Promise<WholeSaleResult> {
  const order = shuffle(Array.from({ length: options.users }, (_, i) => i));

  // 1. Ours: the real path.
  // The order worker runs as a process of its own, as it does deployed (and as every server under test in make bench).
  const rig = await new SaleRig({ ...endpoints, nacos: { serverAddr: '', username: '', password: '' } }).start({
    workerProcess: true,
  });
  let ours: SaleRun;
  try {
    const coupon = await rig.coupon({ totalStock: options.stock, perUserLimit: options.perUserLimit });
    const tokens: string[] = [];
    for (let i = 0; i < options.users; i += 1000) {
      const ids = Array.from(
        { length: Math.min(1000, options.users - i) },
        (_, j) => `ws-${String(i + j).padStart(6, '0')}`,
      );
      tokens.push(...(await Promise.all(ids.map((id) => rig.token(id)))));
    }
    const all = waves(options, (_id, i) => tokens[i] ?? '');
    const ordered = order.map((i) => all[i] ?? []);
    log(`  ours: ${options.users} tokens signed; firing ${options.attempts} grabs @${options.connections}…`);
    const load = await fireGrabs(rig.grabUrl, coupon.id, ordered, options.connections);
    const settleMs = await settleAll(rig, load.acceptedGrabIds, log);
    const report = await checkInvariants(
      {
        couponId: coupon.id,
        initialStock: options.stock,
        perUserLimit: options.perUserLimit,
        acceptedGrabIds: load.acceptedGrabIds,
      },
      rig.orders,
      rig.sale,
    );
    const line = `${report.line} (orders=${report.orders} compensated=${report.compensated} stock_left=${report.stockLeft})`;
    ours = {
      attempts: options.attempts,
      statuses: load.statuses,
      accepted: load.acceptedGrabIds.length,
      grabSeconds: load.ms / 1000,
      requestsPerSecond: (options.attempts / load.ms) * 1000,
      settleSeconds: settleMs / 1000,
      totalSeconds: (load.ms + settleMs) / 1000,
      invariants: line,
      clean:
        report.oversell + report.overLimit + report.lost + report.duplicate + report.stranded === 0 &&
        report.orders + report.compensated === load.acceptedGrabIds.length,
    };
    log(
      `  ours: ${Math.round(ours.requestsPerSecond)} req/s for ${ours.grabSeconds.toFixed(2)} s ${JSON.stringify(load.statuses)}, durable ${ours.settleSeconds.toFixed(2)} s after the last answer`,
    );
    log(`  ours invariants: ${line}`);
  } finally {
    await rig.stop();
  }

  // 2. The naive synchronous server, in its own process, database of its own on the same MariaDB.
  const database = `naive_${process.pid}`;
  const naiveServer = await startNode({
    profile,
    name: 'naive-sale',
    args: ['--conditions=source', '--import', 'tsx', 'tools/bench/src/bench/naive-sale.ts'],
    env: {
      MYSQL_URL: endpoints.mysqlUrl,
      NAIVE_DATABASE: database,
      NAIVE_STOCK: String(options.stock),
      NAIVE_LIMIT: String(options.perUserLimit),
    },
    readyPath: '/',
    cwd: REPO_ROOT,
  });
  let naive: SaleRun;
  const pool = createPool({ url: withDatabase(endpoints.mysqlUrl, database), connectionLimit: 1 });
  try {
    // The naive server authenticates nothing: the bearer token is the user id.
    const all = waves(options, (userId) => userId);
    const ordered = order.map((i) => all[i] ?? []);
    log(`  naive: firing ${options.attempts} grabs @${options.connections}…`);
    const load = await fireGrabs(naiveServer.url, '1', ordered, options.connections);
    const accepted = load.statuses[200] ?? 0;
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
    naive = {
      attempts: options.attempts,
      statuses: load.statuses,
      accepted,
      grabSeconds: load.ms / 1000,
      requestsPerSecond: (options.attempts / load.ms) * 1000,
      settleSeconds: 0,
      totalSeconds: load.ms / 1000,
      invariants: line,
      clean: oversell + overLimit + lost + stranded === 0 && orders === accepted,
    };
    log(
      `  naive: ${Math.round(naive.requestsPerSecond)} req/s for ${naive.grabSeconds.toFixed(2)} s ${JSON.stringify(load.statuses)} (every 200 answered after its COMMIT)`,
    );
    log(`  naive invariants: ${line}`);
  } finally {
    await pool.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    await pool.end();
    await naiveServer.process.stop();
  }
  return { options, ours, naive };
}
