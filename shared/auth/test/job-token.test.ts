import { AppError } from '@couponkill/errors';
import { describe, expect, it } from 'vitest';
import {
  type Caller,
  isJobToken,
  jobGuard,
  jobTokenSchema,
  requireJobToken,
  type Role,
  type Verify,
} from '../src/index.js';

const TOKEN = 'k3XbW9tq2v8Zr6pLm4Yc1Hs7Nd5Jf0Ga-job';

/** Stands in for the JWKS verifier: `admin.x.y` and `user.x.y` are valid tokens of those roles. */
const verify: Verify = async (token) => {
  const role = token.split('.')[0] as Role;
  if (role !== 'admin' && role !== 'user') throw new AppError('UNAUTHENTICATED', 'bad token');
  const caller: Caller = { userId: `u-${role}`, roles: [role], tokenId: undefined, expiresAt: 0 };
  return caller;
};

const codeOf = async (run: Promise<void>) =>
  run.then(
    () => 'OK',
    (err: unknown) => (err instanceof AppError ? err.code : 'THREW'),
  );

describe('the job token', () => {
  it('matches only `Bearer <token>` exactly', () => {
    expect(isJobToken(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(isJobToken(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    for (const header of [TOKEN, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Bearer ${TOKEN} extra`, 'Bearer ']) {
      expect(isJobToken(header, TOKEN), header).toBe(false);
    }
    expect(isJobToken(undefined, TOKEN)).toBe(false);
    expect(isJobToken([`Bearer ${TOKEN}`], TOKEN)).toBe(false);
  });

  it('is configured with 32 to 512 characters', () => {
    expect(jobTokenSchema.safeParse(TOKEN).success).toBe(true);
    expect(jobTokenSchema.safeParse('x'.repeat(31)).success).toBe(false);
    expect(jobTokenSchema.safeParse('x'.repeat(513)).success).toBe(false);
  });

  it('matches nothing when no job token is configured', () => {
    expect(isJobToken(`Bearer ${TOKEN}`, undefined)).toBe(false);
    expect(isJobToken('Bearer ', undefined)).toBe(false);
    expect(isJobToken('Bearer ', '')).toBe(false);
  });
});

describe('a job-only route', () => {
  const codeOfSync = (run: () => void) => codeOf(Promise.resolve().then(run));

  it('passes only `Bearer <token>`', async () => {
    expect(await codeOfSync(() => requireJobToken({ authorization: `Bearer ${TOKEN}` }, TOKEN))).toBe('OK');
  });

  it('refuses the bare token, another scheme, a longer or shorter token and no configured token with 401', async () => {
    for (const authorization of [TOKEN, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, '']) {
      expect(await codeOfSync(() => requireJobToken({ authorization }, TOKEN)), authorization).toBe('UNAUTHENTICATED');
    }
    expect(await codeOfSync(() => requireJobToken({}, TOKEN))).toBe('UNAUTHENTICATED');
    expect(await codeOfSync(() => requireJobToken({ authorization: `Bearer ${TOKEN}` }, undefined))).toBe(
      'UNAUTHENTICATED',
    );
  });
});

describe('who may run a job', () => {
  const guard = jobGuard(verify, TOKEN);

  it('lets the scheduled caller and an admin through', async () => {
    expect(await codeOf(guard({ authorization: `Bearer ${TOKEN}` }))).toBe('OK');
    expect(await codeOf(guard({ authorization: 'Bearer admin.x.y' }))).toBe('OK');
  });

  it('refuses a user with 403, and no token or a wrong one with 401', async () => {
    expect(await codeOf(guard({ authorization: 'Bearer user.x.y' }))).toBe('FORBIDDEN');
    expect(await codeOf(guard({}))).toBe('UNAUTHENTICATED');
    expect(await codeOf(guard({ authorization: 'Bearer not-the-job-token' }))).toBe('UNAUTHENTICATED');
  });

  it('needs an admin when no job token is configured', async () => {
    const adminsOnly = jobGuard(verify, undefined);
    expect(await codeOf(adminsOnly({ authorization: `Bearer ${TOKEN}` }))).toBe('UNAUTHENTICATED');
    expect(await codeOf(adminsOnly({ authorization: 'Bearer admin.x.y' }))).toBe('OK');
  });
});
