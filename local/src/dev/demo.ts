import { AppError } from '@couponkill/errors';
import { UserStore, type UserSharding } from '@couponkill/users';
import { createAdmin } from '@couponkill/fn-user-auth/admin';

export const DEMO_ADMIN = { username: 'admin', password: 'couponkill-admin', email: 'admin@couponkill.local' };
export const DEMO_USERS = [
  { username: 'alice', password: 'alice-password', email: 'alice@couponkill.local' },
  { username: 'bob', password: 'bob-password', phone: '+8613800000002' },
];

/** Demo data of `make dev`: an administrator (created in the database) and users (registered over HTTP). */
export async function seedDemoData(gatewayUrl: string, mysqlUrl: string, sharding: UserSharding): Promise<void> {
  const users = UserStore.open(mysqlUrl, sharding, 1);
  try {
    await createAdmin(users, DEMO_ADMIN).catch(ignoreExisting);
  } finally {
    await users.close();
  }
  for (const user of DEMO_USERS) {
    const response = await fetch(`${gatewayUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(user),
    });
    if (response.status !== 201 && response.status !== 409) {
      throw new Error(
        `registering demo user ${user.username} failed: HTTP ${response.status} ${await response.text()}`,
      );
    }
  }
}

function ignoreExisting(err: unknown): void {
  if (!(err instanceof AppError && err.code === 'ALREADY_EXISTS')) throw err;
}
