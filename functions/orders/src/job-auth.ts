import { createHash, timingSafeEqual } from 'node:crypto';
import { authenticate, requireRole, type Verify } from '@couponkill/auth';

type Headers = Parameters<typeof authenticate>[1];

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether the Authorization header is `Bearer <jobToken>`. Both sides are hashed first, so the
 * comparison takes the same time whatever is sent and leaks neither the token nor its length.
 */
export function isJobToken(authorization: Headers[string], jobToken: string | undefined): boolean {
  if (jobToken === undefined || typeof authorization !== 'string') return false;
  const sent = /^Bearer +(\S+)$/i.exec(authorization.trim())?.[1];
  return sent !== undefined && timingSafeEqual(digest(sent), digest(jobToken));
}

/**
 * Who may run a job: the scheduled caller with the shared job token, or an admin with an access
 * token (to run it by hand). Anyone else is refused before anything is read: no token or a wrong
 * one is a 401, a user's token a 403.
 *
 * Why a shared token and not only admin tokens: access tokens are short-lived and minted by
 * user-auth at a login, which a scheduler cannot do. A Knative PingSource posts only its
 * CloudEvent (`ce-*` headers and fixed data) and cannot add an Authorization header: the schedule
 * must be something that sends the token from a Secret (a CronJob, or a sink in front that adds
 * the header). `/jobs/` is never part of the public routes.
 */
export function jobGuard(verify: Verify, jobToken: string | undefined) {
  return async (headers: Headers): Promise<void> => {
    if (isJobToken(headers['authorization'], jobToken)) return;
    requireRole(await authenticate(verify, headers), 'admin');
  };
}
