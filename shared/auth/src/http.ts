import { AppError } from '@couponkill/errors';
import type { Caller, Role } from './claims.js';
import type { Verify } from './verifier.js';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The bearer token of the `Authorization` header — the only place identity is taken from.
 * Tokens in query strings or cookies are ignored (they leak into logs and are sent cross-site).
 */
export function bearerToken(headers: Headers): string {
  const value = headers['authorization'];
  if (typeof value !== 'string')
    throw new AppError('UNAUTHENTICATED', 'Send the access token as `Authorization: Bearer <token>`.');
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i.exec(value.trim());
  if (match?.[1] === undefined)
    throw new AppError('UNAUTHENTICATED', 'The Authorization header is not a bearer token.');
  return match[1];
}

/**
 * The answer for each request's headers, so a route guard and its handler, which both ask who is
 * calling, parse and look up the token once.
 */
const answered = new WeakMap<Headers, { readonly verify: Verify; readonly caller: Promise<Caller> }>();

/** Verifies the request's bearer token and returns who is calling (401 otherwise). */
export async function authenticate(verify: Verify, headers: Headers): Promise<Caller> {
  const known = answered.get(headers);
  if (known?.verify === verify) return known.caller;
  const caller = verify(bearerToken(headers));
  answered.set(headers, { verify, caller });
  return caller;
}

export function hasRole(caller: Caller, role: Role): boolean {
  return caller.roles.includes(role);
}

/** 403 unless the caller has `role`. */
export function requireRole(caller: Caller, role: Role): void {
  if (!hasRole(caller, role)) throw new AppError('FORBIDDEN', `This action needs the ${role} role.`);
}

/**
 * The check an HTTP function runs before it reads a request's body, by the route's declared
 * audience: any signed-in user, an admin, or a scheduled job (`job`, whose check is the
 * function's own). Other audiences pass; the handler still decides about the resource itself.
 */
export function routeGuard(verify: Verify, job?: (headers: Headers) => Promise<void> | void) {
  return async (audience: string, headers: Headers): Promise<void> => {
    if (audience === 'user') await authenticate(verify, headers);
    else if (audience === 'admin') requireRole(await authenticate(verify, headers), 'admin');
    else if (audience === 'job' && job !== undefined) await job(headers);
  };
}
