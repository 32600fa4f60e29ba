import { type Caller, issueAccessToken, type KeyRing, publicJwks } from '@couponkill/auth';
import { AppError } from '@couponkill/errors';
import { clientIp, implement, type Route } from '@couponkill/http';
import { dummyHash, hashPassword, needsRehash, publicProfile, type UserStore, verifyPassword } from '@couponkill/users';
import type { UserAuthConfig } from './config.js';
import type { Lockout } from './lockout.js';
import type { RegisterLimiter } from './register-limit.js';
import { jwksContract, loginContract, openApiContract, registerContract } from './contract.js';

/** Verifiers and clients may cache the keys and the API document this long; a rotation publishes the new key well before it signs. */
const PUBLISHED_CACHE_CONTROL = 'public, max-age=300';

export interface UserAuthDeps {
  readonly users: UserStore;
  readonly keys: KeyRing;
  readonly lockout: Lockout;
  readonly registerLimiter: RegisterLimiter;
  readonly config: () => UserAuthConfig;
  /** The parsed OpenAPI document, when this instance publishes one. */
  readonly openApi?: Record<string, unknown>;
}

const INVALID = 'Invalid username or password.';

export function userAuthRoutes(deps: UserAuthDeps): Route[] {
  return [
    implement(registerContract, async ({ body: input, req }) => {
      const config = deps.config();
      await deps.registerLimiter.take(clientIp(req.headers, req.socket.remoteAddress, config.trustedProxyHops));
      // Every account starts as a plain user: no endpoint creates an admin.
      const user = await deps.users.create({
        username: input.username,
        passwordHash: await hashPassword(input.password, config.passwordHashing),
        email: input.email,
        phone: input.phone,
        roles: ['user'],
      });
      return { status: 201, body: publicProfile(user) };
    }),
    implement(loginContract, async ({ body: input, req, log }) => {
      const config = deps.config();
      const username = input.username.toLowerCase();
      const ip = clientIp(req.headers, req.socket.remoteAddress, config.trustedProxyHops);
      // The attempt is counted before the password is checked, so parallel guesses cannot
      // all slip in under the limit; a failure keeps the count, a success gives it back.
      await deps.lockout.reserve(username, ip);

      // Unknown user and wrong password take the same path: one scrypt, the same answer.
      let user: Awaited<ReturnType<typeof deps.users.findByUsername>>;
      let passwordOk: boolean;
      try {
        user = await deps.users.findByUsername(username);
        passwordOk = await verifyPassword(
          input.password,
          user?.passwordHash ?? (await dummyHash(config.passwordHashing)),
        );
      } catch (err) {
        await deps.lockout
          .undecided(username, ip)
          .catch((releaseErr: unknown) => log.warn({ err: releaseErr }, 'login attempt not given back'));
        throw err;
      }
      if (user === undefined || !passwordOk || user.status !== 'active') {
        log.info({ ip }, 'login failed');
        throw new AppError('INVALID_CREDENTIALS', INVALID);
      }
      await deps.lockout.succeeded(username, ip);
      if (needsRehash(user.passwordHash, config.passwordHashing)) {
        // The password is at hand only now: raise an old hash to the configured cost. A failure
        // here costs nothing but another try at the next login.
        const rehashed = await hashPassword(input.password, config.passwordHashing);
        await deps.users
          .replacePasswordHash(user.id, user.passwordHash, rehashed)
          .catch((err: unknown) => log.warn({ err }, 'password rehash failed'));
      }
      const { token, expiresAt } = await issueAccessToken(
        deps.keys,
        { userId: user.id, roles: user.roles },
        {
          issuer: config.auth.issuer,
          audience: config.auth.audience,
          ttlSeconds: config.auth.tokenTtlSeconds,
        },
      );
      const caller: Pick<Caller, 'userId' | 'roles'> = { userId: user.id, roles: user.roles };
      return {
        status: 200,
        body: {
          accessToken: token,
          tokenType: 'Bearer',
          expiresAt: new Date(expiresAt * 1000).toISOString(),
          ...caller,
        },
        headers: { 'cache-control': 'no-store' },
      };
    }),
    implement(jwksContract, () => ({
      status: 200,
      body: publicJwks(deps.keys),
      headers: { 'cache-control': PUBLISHED_CACHE_CONTROL },
    })),
    implement(openApiContract, () => {
      if (deps.openApi === undefined) throw new AppError('NOT_FOUND', 'No OpenAPI document is published here.');
      return { status: 200, body: deps.openApi, headers: { 'cache-control': PUBLISHED_CACHE_CONTROL } };
    }),
  ];
}
