import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@couponkill/errors';
import { z } from 'zod';
import { authenticate, requireRole } from './http.js';
import type { Verify } from './verifier.js';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The shared job token as a config value (env `JOB_TOKEN`, one Secret for every job): at least
 * 32 characters, so it cannot be guessed.
 */
export const jobTokenSchema = z.string().min(32).max(512);

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether the Authorization header is exactly `Bearer <jobToken>`. Both sides are hashed first,
 * so the comparison takes the same time whatever is sent and leaks neither the token nor its
 * length. A bare token without the scheme, a second value or extra words never match.
 */
export function isJobToken(authorization: Headers[string], jobToken: string | undefined): boolean {
  if (jobToken === undefined || jobToken === '' || typeof authorization !== 'string') return false;
  const sent = /^Bearer +(\S+)$/i.exec(authorization.trim())?.[1];
  return sent !== undefined && timingSafeEqual(digest(sent), digest(jobToken));
}

/** 401 unless the request carries the job token (for routes only a scheduler calls). */
export function requireJobToken(headers: Headers, jobToken: string | undefined): void {
  if (!isJobToken(headers['authorization'], jobToken))
    throw new AppError('UNAUTHENTICATED', 'This job needs its job token.');
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
