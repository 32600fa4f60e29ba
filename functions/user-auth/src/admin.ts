import { DEFAULT_SCRYPT_PARAMS, hashPassword, type ScryptParams, type User, type UserStore } from '@couponkill/users';
import { registerBodySchema } from './schemas.js';

/**
 * Creates an administrator directly in the database. Deliberately not an endpoint: the system
 * we replaced minted admin tokens over HTTP. Used by `make admin` and by the demo data of `make dev`.
 */
export async function createAdmin(
  users: UserStore,
  input: { username: string; password: string; email: string },
  passwordHashing: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<User> {
  const valid = registerBodySchema.parse(input);
  return users.create({
    username: valid.username,
    passwordHash: await hashPassword(valid.password, passwordHashing),
    email: valid.email,
    roles: ['user', 'admin'],
  });
}
