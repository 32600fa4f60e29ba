// The baseline of the whole-sale row of `make bench --whole-sale`: the same sale written the naive
// synchronous way. Per request, in one MySQL transaction: lock the coupon row, count the user's
// orders, refuse when sold out or at the limit, else take a unit and insert the order; COMMIT, then
// answer 200 (or 409). The answer comes after the COMMIT, so every 200 is a durable order.
// It authenticates nothing (the user id is the bearer token as sent), which only favours it.
// Env: MYSQL_URL (server, no database), NAIVE_DATABASE, NAIVE_STOCK, NAIVE_LIMIT, NAIVE_POOL, PORT.
import { createServer, type ServerResponse } from 'node:http';
import { createPool, withDatabase, withTransaction } from '@couponkill/db';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
};
const database = env('NAIVE_DATABASE');
const stock = Number(env('NAIVE_STOCK'));
const limit = Number(env('NAIVE_LIMIT'));
const COUPON = 1;

const admin = createPool({ url: env('MYSQL_URL'), connectionLimit: 1 });
await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
await admin.query(`CREATE DATABASE \`${database}\``);
await admin.end();
const pool = createPool({
  url: withDatabase(env('MYSQL_URL'), database),
  connectionLimit: Number(process.env['NAIVE_POOL'] ?? 64),
});
await pool.query('CREATE TABLE naive_coupon (id BIGINT PRIMARY KEY, stock INT NOT NULL, per_user_limit INT NOT NULL)');
await pool.query(
  `CREATE TABLE naive_order (id BIGINT AUTO_INCREMENT PRIMARY KEY, coupon_id BIGINT NOT NULL,
   user_id VARCHAR(64) NOT NULL, created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
   KEY by_user (coupon_id, user_id))`,
);
await pool.query('INSERT INTO naive_coupon (id, stock, per_user_limit) VALUES (?, ?, ?)', [COUPON, stock, limit]);

type Rows = Array<Record<string, unknown>>;
type Outcome = 'ok' | 'SOLD_OUT' | 'LIMIT_REACHED';
const grab = (userId: string) =>
  withTransaction(pool, async (c): Promise<Outcome> => {
    const [coupon] = await c.query('SELECT stock, per_user_limit FROM naive_coupon WHERE id = ? FOR UPDATE', [COUPON]);
    if (Number((coupon as Rows)[0]?.['stock'] ?? 0) <= 0) return 'SOLD_OUT';
    const [held] = await c.query('SELECT COUNT(*) AS n FROM naive_order WHERE coupon_id = ? AND user_id = ?', [
      COUPON,
      userId,
    ]);
    if (Number((held as Rows)[0]?.['n'] ?? 0) >= Number((coupon as Rows)[0]?.['per_user_limit']))
      return 'LIMIT_REACHED';
    await c.query('UPDATE naive_coupon SET stock = stock - 1 WHERE id = ?', [COUPON]);
    await c.query('INSERT INTO naive_order (coupon_id, user_id) VALUES (?, ?)', [COUPON, userId]);
    return 'ok';
  });

const send = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
};
const server = createServer((req, res) => {
  if (req.method === 'GET') return send(res, 200, { ok: true });
  const userId = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  req.resume();
  grab(userId).then(
    (outcome) => (outcome === 'ok' ? send(res, 200, { ok: true }) : send(res, 409, { error: { code: outcome } })),
    (err: unknown) => send(res, 500, { error: { code: 'INTERNAL', message: String(err) } }),
  );
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env['PORT'] ?? 8080), '127.0.0.1');
process.once('SIGTERM', () => void pool.end().finally(() => process.exit(0)));
