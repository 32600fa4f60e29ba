import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose/jwt/sign';
import type { Role } from './claims.js';
import { type KeyRing, SIGNING_ALG } from './keys.js';

export interface IssueOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

/** Signs an access token for a user with the active key; `kid` names the key in the header. */
export async function issueAccessToken(
  ring: KeyRing,
  subject: { userId: string; roles: readonly Role[] },
  options: IssueOptions,
): Promise<{ token: string; expiresAt: number }> {
  const now = Math.floor(Date.now() / 1000);
  const expiresAt = now + options.ttlSeconds;
  const token = await new SignJWT({ roles: [...subject.roles] })
    .setProtectedHeader({ alg: SIGNING_ALG, kid: ring.active.kid, typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(subject.userId)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(expiresAt)
    .setJti(randomUUID())
    .sign(ring.active.privateKey);
  return { token, expiresAt };
}
