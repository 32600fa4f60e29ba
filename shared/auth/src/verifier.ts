import { createHash } from 'node:crypto';
import { AppError } from '@couponkill/errors';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, jwtVerify } from 'jose';
import { type Caller, callerClaimsSchema } from './claims.js';
import { SIGNING_ALG } from './keys.js';

/** Least time between two JWKS fetches triggered by an unknown kid (a forged kid cannot hammer user-auth). */
const JWKS_COOLDOWN_MS = 30_000;
/** How long fetched keys are trusted before they are fetched again (a removed key stops working by then). */
const JWKS_MAX_AGE_MS = 300_000;
/** A JWKS fetch that has not answered by then fails the verification (401), not the request's whole deadline. */
const JWKS_FETCH_TIMEOUT_MS = 2000;
/** Verified tokens remembered, and for how long: a user's burst of requests verifies once. */
const TOKEN_CACHE_SIZE = 50_000;
const TOKEN_CACHE_TTL_MS = 10_000;

export interface VerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  /** The issuer's JWKS: a URL (fetched, cached, refreshed on an unknown kid) or a key set. */
  readonly jwks: URL | JSONWebKeySet;
  /** Seconds of clock skew tolerated for exp and nbf. */
  readonly clockToleranceSeconds?: number;
  /** A URL JWKS is fetched again at most this often when an unknown kid shows up. */
  readonly jwksCooldownMs?: number;
  /** …and kept at most this long, so a removed key stops verifying within this time. */
  readonly jwksMaxAgeMs?: number;
  /** Verified tokens are remembered this long (bounded by their expiry) so the hot path skips ECDSA. */
  readonly cacheTtlMs?: number;
  readonly cacheSize?: number;
}

export type Verify = (token: string) => Promise<Caller>;

const UNAUTHENTICATED = 'The access token is missing, malformed, expired or not ours.';

/**
 * Verifies access tokens: signature (ES256 only; `none`, HS* and others are refused), issuer,
 * audience, exp and nbf with a small leeway, kid lookup, and the claims we rely on. Every
 * failure is the same 401 to the caller; the reason goes to the log through `cause`.
 */
export function createVerifier(options: VerifierOptions): Verify {
  const keys =
    options.jwks instanceof URL
      ? createRemoteJWKSet(options.jwks, {
          cooldownDuration: options.jwksCooldownMs ?? JWKS_COOLDOWN_MS,
          cacheMaxAge: options.jwksMaxAgeMs ?? JWKS_MAX_AGE_MS,
          timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
        })
      : createLocalJWKSet(options.jwks);
  const cache = new TokenCache(options.cacheSize ?? TOKEN_CACHE_SIZE, options.cacheTtlMs ?? TOKEN_CACHE_TTL_MS);

  return async (token) => {
    const cached = cache.get(token);
    if (cached !== undefined) return cached;
    let caller: Caller;
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [SIGNING_ALG],
        clockTolerance: options.clockToleranceSeconds ?? 5,
        requiredClaims: ['exp', 'nbf', 'sub', 'iat'],
        typ: 'JWT',
      });
      const claims = callerClaimsSchema.parse(payload);
      caller = { userId: claims.sub, roles: claims.roles, tokenId: claims.jti, expiresAt: claims.exp };
    } catch (err) {
      if (err instanceof errors.JWKSTimeout)
        throw new AppError('UNAVAILABLE', 'Cannot verify tokens right now.', { cause: err });
      throw new AppError('UNAUTHENTICATED', UNAUTHENTICATED, { cause: err });
    }
    cache.set(token, caller);
    return caller;
  };
}

/** A bounded map of verified tokens (by SHA-256), evicting the oldest entry when full. */
class TokenCache {
  readonly #entries = new Map<string, { caller: Caller; until: number }>();
  constructor(
    readonly size: number,
    readonly ttlMs: number,
  ) {}

  get(token: string): Caller | undefined {
    const key = digest(token);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (Date.now() >= entry.until) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.caller;
  }

  set(token: string, caller: Caller): void {
    if (this.size <= 0 || this.ttlMs <= 0) return;
    if (this.#entries.size >= this.size) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(digest(token), { caller, until: Math.min(Date.now() + this.ttlMs, caller.expiresAt * 1000) });
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
