import { AppError } from '@couponkill/errors';
import { callJson, callJsonOk } from '@couponkill/http';
import { UserStore, type UserSharding } from '@couponkill/users';
import { createAdmin } from '@couponkill/fn-user-auth/admin';

export const DEMO_ADMIN = { username: 'admin', password: 'couponkill-admin', email: 'admin@couponkill.local' };
export const DEMO_USERS = [
  { username: 'alice', password: 'alice-password', email: 'alice@couponkill.local' },
  { username: 'bob', password: 'bob-password', phone: '+8613800000002' },
];

export interface DemoCoupon {
  readonly id: string;
  readonly name: string;
}

/**
 * Demo data of `make dev`: an administrator (created in the database), users (registered over
 * HTTP) and, when there are no coupons yet, a seckill and a normal coupon (created over HTTP by
 * the administrator). Returns the coupons on sale.
 */
export async function seedDemoData(
  gatewayUrl: string,
  mysqlUrl: string,
  sharding: UserSharding,
): Promise<DemoCoupon[]> {
  const users = UserStore.open(mysqlUrl, sharding, 1);
  try {
    await createAdmin(users, DEMO_ADMIN).catch(ignoreExisting);
  } finally {
    await users.close();
  }
  for (const user of DEMO_USERS) {
    const reply = await callJson(gatewayUrl, 'POST', '/api/v1/auth/register', { body: user });
    if (reply.status !== 201 && reply.status !== 409) {
      throw new Error(
        `registering demo user ${user.username} failed: HTTP ${reply.status} ${JSON.stringify(reply.body ?? '')}`,
      );
    }
  }
  const listed = await callJsonOk<{ items: DemoCoupon[] }>(gatewayUrl, 'GET', '/api/v1/coupons?limit=10');
  if (listed.items.length > 0) return listed.items;
  const login = await callJsonOk<{ accessToken: string }>(gatewayUrl, 'POST', '/api/v1/auth/login', {
    body: { username: DEMO_ADMIN.username, password: DEMO_ADMIN.password },
  });
  const now = Date.now();
  const created: DemoCoupon[] = [];
  for (const coupon of [
    {
      name: 'Sale: 50 off',
      type: 'seckill',
      faceValue: 5000,
      minSpend: 10000,
      validDays: 7,
      perUserLimit: 2,
      totalStock: 1000,
      window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + 6 * 3600_000).toISOString() },
    },
    {
      name: 'Welcome: 5 off',
      type: 'normal',
      faceValue: 500,
      minSpend: 2000,
      validDays: 30,
      perUserLimit: 1,
      totalStock: 100_000,
    },
  ]) {
    created.push(
      await callJsonOk<DemoCoupon>(gatewayUrl, 'POST', '/api/v1/coupons', {
        body: coupon,
        headers: { authorization: `Bearer ${login.accessToken}` },
      }),
    );
  }
  return created;
}

function ignoreExisting(err: unknown): void {
  if (!(err instanceof AppError && err.code === 'ALREADY_EXISTS')) throw err;
}
