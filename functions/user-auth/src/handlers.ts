import { type Caller, issueAccessToken, type KeyRing, publicJwks } from '@couponkill/auth';
import { AppError } from '@couponkill/errors';
import { clientIp, implement, type Route } from '@couponkill/http';
import { DUMMY_HASH, hashPassword, publicProfile, type UserStore, verifyPassword } from '@couponkill/users';
import type { UserAuthConfig } from './config.js';
import type { Lockout } from './lockout.js';
import { jwksContract, loginContract, openApiContract, registerContract } from './contract.js';

export interface UserAuthDeps {
  readonly users: UserStore;
  readonly keys: KeyRing;
  readonly lockout: Lockout;
  readonly config: () => UserAuthConfig;
  /** The parsed OpenAPI document, when this instance publishes one. */
  readonly openApi?: Record<string, unknown>;
}

const INVALID = 'Invalid username or password.';

export function userAuthRoutes(deps: UserAuthDeps): Route[] {
  return [
    implement(registerContract, async ({ body: input }) => {
      // Every account starts as a plain user: no endpoint creates an admin.
      const user = await deps.users.create({
        username: input.username,
        passwordHash: await hashPassword(input.password),
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
      await deps.lockout.check(username, ip);

      // Unknown user and wrong password take the same path: one scrypt, the same answer.
      const user = await deps.users.findByUsername(username);
      const passwordOk = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
      if (user === undefined || !passwordOk || user.status !== 'active') {
        await deps.lockout.recordFailure(username, ip);
        log.info({ ip }, 'login failed');
        throw new AppError('INVALID_CREDENTIALS', INVALID);
      }
      await deps.lockout.recordSuccess(username);
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
      // Verifiers cache the set; a rotation publishes the new key well before it signs.
      headers: { 'cache-control': 'public, max-age=300' },
    })),
    implement(openApiContract, () => {
      if (deps.openApi === undefined) throw new AppError('NOT_FOUND', 'No OpenAPI document is published here.');
      return { status: 200, body: deps.openApi, headers: { 'cache-control': 'public, max-age=300' } };
    }),
  ];
}
