import { authenticate, hasRole, requireRole, type Verify } from '@couponkill/auth';
import { AppError } from '@couponkill/errors';
import { implement, type Route } from '@couponkill/http';
import { publicProfile, type UserCache, type UserStore } from '@couponkill/users';
import { meContract, userByIdContract, userByNameContract } from './contract.js';

export interface UserLookupDeps {
  readonly verify: Verify;
  readonly users: UserStore;
  readonly cache: UserCache;
}

// Anyone but the owner or an admin gets the same 404 as for an id that does not exist,
// so user ids cannot be probed.
const notFound = () => new AppError('NOT_FOUND', 'No such user.');

export function userLookupRoutes(deps: UserLookupDeps): Route[] {
  const load = (id: string) => deps.cache.get(id, (key) => deps.users.findById(key));
  return [
    implement(meContract, async ({ req }) => {
      const caller = await authenticate(deps.verify, req.headers);
      const user = await load(caller.userId);
      if (user === undefined) throw notFound();
      return { status: 200, body: publicProfile(user) };
    }),
    implement(userByIdContract, async ({ req, params: { id } }) => {
      const caller = await authenticate(deps.verify, req.headers);
      if (caller.userId !== id && !hasRole(caller, 'admin')) throw notFound();
      const user = await load(id);
      if (user === undefined) throw notFound();
      return { status: 200, body: publicProfile(user) };
    }),
    implement(userByNameContract, async ({ req, query: { username } }) => {
      const caller = await authenticate(deps.verify, req.headers);
      requireRole(caller, 'admin');
      const found = await deps.users.findByUsername(username.toLowerCase());
      if (found === undefined) throw notFound();
      const { passwordHash: _secret, ...user } = found;
      return { status: 200, body: publicProfile(user) };
    }),
  ];
}
