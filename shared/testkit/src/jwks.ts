import {
  generateSigningKey,
  issueAccessToken,
  type KeyRing,
  loadKeyRing,
  publicJwks,
  type Role,
} from '@couponkill/auth';
import { serve } from './http.js';

export const TEST_ISSUER = 'https://auth.couponkill.test';
export const TEST_AUDIENCE = 'couponkill';

/** A key ring whose public keys are served over HTTP the way user-auth serves them. */
export interface JwksFixture {
  readonly ring: KeyRing;
  /** The verifier settings of a function that trusts this ring (its `AUTH_*` environment). */
  readonly env: { readonly AUTH_ISSUER: string; readonly AUTH_AUDIENCE: string; readonly AUTH_JWKS_URL: string };
  /** `Authorization: Bearer <access token>` of this user with these roles (a user's by default), valid 15 minutes. */
  bearer(userId: string, ...roles: Role[]): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** Generates one active signing key and serves its JWKS on a free local port. */
export async function serveJwks(kid = 'key-a'): Promise<JwksFixture> {
  const ring = await loadKeyRing([await generateSigningKey(kid, true)]);
  const served = await serve((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(publicJwks(ring)));
  });
  return {
    ring,
    env: {
      AUTH_ISSUER: TEST_ISSUER,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      AUTH_JWKS_URL: `${served.url}/.well-known/jwks.json`,
    },
    async bearer(userId, ...roles) {
      const { token } = await issueAccessToken(
        ring,
        { userId, roles: roles.length === 0 ? ['user'] : roles },
        { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, ttlSeconds: 900 },
      );
      return { authorization: `Bearer ${token}` };
    },
    close: () => served.close(),
  };
}
