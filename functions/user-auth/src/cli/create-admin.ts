/**
 * `make admin USERNAME=… PASSWORD=… EMAIL=…` — creates an administrator in the user database
 * named by MYSQL_URL (and CONFIG_FILE's userSharding, if any). Prints the new user's id.
 */
import { parseArgs } from 'node:util';
import { loadConfig, loadOrExit } from '@couponkill/config';
import { UserStore } from '@couponkill/users';
import { createAdmin } from '../admin.js';
import { userAuthConfigSchema } from '../config.js';
import { registerBodySchema } from '../schemas.js';

const { values } = parseArgs({
  options: { username: { type: 'string' }, password: { type: 'string' }, email: { type: 'string' } },
});
const settings = loadOrExit(() =>
  loadConfig({
    name: 'create-admin',
    schema: userAuthConfigSchema.pick({ mysqlUrl: true, userSharding: true, passwordHashing: true }),
    fileEnv: 'CONFIG_FILE',
    env: { MYSQL_URL: 'mysqlUrl' },
  }),
).current;
const input = registerBodySchema.safeParse({
  username: values.username,
  password: values.password,
  email: values.email,
});
if (!input.success) {
  const problems = input.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  process.stderr.write(`usage: create-admin --username NAME --password SECRET --email ADDRESS (${problems})\n`);
  process.exit(2);
}
await UserStore.migrate(settings.mysqlUrl, settings.userSharding);
const users = UserStore.open(settings.mysqlUrl, settings.userSharding, 1);
try {
  const admin = await createAdmin(
    users,
    {
      username: input.data.username,
      password: input.data.password,
      email: input.data.email ?? '',
    },
    settings.passwordHashing,
  );
  process.stdout.write(`created admin ${admin.username} (id ${admin.id})\n`);
} catch (err) {
  process.stderr.write(`could not create the admin: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await users.close();
}
