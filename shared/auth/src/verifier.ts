import { hash, KeyObject, verify as verifySignature, type webcrypto } from 'node:crypto';
import { AppError } from '@couponkill/errors';
import type { FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters, JWTPayload } from 'jose';
// jose's entry points, not its index (which loads all of jose: 46 modules against 9).
import * as errors from 'jose/errors';
import { createLocalJWKSet } from 'jose/jwks/local';
import { createRemoteJWKSet } from 'jose/jwks/remote';
import { type Caller, callerClaimsSchema } from './claims.js';
import { SIGNING_ALG } from './keys.js';

/** Least time between two JWKS fetches triggered by an unknown kid (a forged kid cannot hammer user-auth). */
const JWKS_COOLDOWN_MS = 30_000;
/** How long fetched keys are trusted before they are fetched again (a removed key stops working by then). */
const JWKS_MAX_AGE_MS = 300_000;
/** A JWKS fetch that has not answered by then fails the verification (401), not the request's whole deadline. */
const JWKS_FETCH_TIMEOUT_MS = 2000;
/**
 * Verified tokens remembered, and for how long (never past their `exp`): a user verifies once per
 * minute, not once per burst. A minute adds nothing to what a token could do anyway: a token is
 * good until its `exp` whatever the cache says, and a key removed from the JWKS keeps verifying for
 * up to JWKS_MAX_AGE_MS (5 min). With 10 s, a sale of many users re-verified each of them every
 * 10 s (an ECDSA verification, ~80 µs of CPU, per user and period).
 */
const TOKEN_CACHE_SIZE = 50_000;
const TOKEN_CACHE_TTL_MS = 60_000;

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
  const { jwks } = options;
  // Made at the first verification, not here: a remote key set builds a fetch `Headers` at once,
  // which loads undici (some 35 ms) on a function's way to ready; it fetches the JWKS only then.
  let keys: KeySet | undefined;
  const keySet = (): KeySet =>
    (keys ??=
      jwks instanceof URL
        ? createRemoteJWKSet(jwks, {
            cooldownDuration: options.jwksCooldownMs ?? JWKS_COOLDOWN_MS,
            cacheMaxAge: options.jwksMaxAgeMs ?? JWKS_MAX_AGE_MS,
            timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
          })
        : createLocalJWKSet(jwks));
  const cache = new TokenCache(options.cacheSize ?? TOKEN_CACHE_SIZE, options.cacheTtlMs ?? TOKEN_CACHE_TTL_MS);

  return async (token) => {
    const cached = cache.get(token);
    if (cached !== undefined) return cached;
    let caller: Caller;
    try {
      const payload = await verifyJwt(token, keySet());
      checkRegisteredClaims(payload, options.issuer, options.audience, options.clockToleranceSeconds ?? 5);
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

/** What `createLocalJWKSet` and `createRemoteJWKSet` return: the key for a token's header. */
type KeySet = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<webcrypto.CryptoKey>;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** ES256 signatures are r ‖ s, 32 bytes each (JWS uses the IEEE P1363 form, not DER; see `der`). */
const ES256_SIGNATURE_BYTES = 64;

/** The Node key of each key the key set hands out (it hands out the same object per key and JWKS fetch). */
const nodeKeys = new WeakMap<object, KeyObject>();

function nodeKey(key: webcrypto.CryptoKey): KeyObject {
  let found = nodeKeys.get(key);
  if (found === undefined) {
    found = KeyObject.from(key);
    const details = found.asymmetricKeyDetails;
    if (found.type !== 'public' || found.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1')
      throw new Error('the key for this kid is not a P-256 public key');
    nodeKeys.set(key, found);
  }
  return found;
}

/**
 * A compact JWS checked as `jose`'s `jwtVerify` checks it — a JSON header with `alg` ES256 (and
 * no other), `typ` JWT, no `crit` extensions, the key chosen by the key set (kid, alg), the
 * signature — but verified with `node:crypto` on a cached `KeyObject`: WebCrypto's asynchronous
 * verification cost a third more CPU per token than the signature math itself. Throws on
 * anything wrong; returns the payload, whose claims are checked next.
 */
async function verifyJwt(token: string, keys: KeySet): Promise<JWTPayload> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new errors.JWSInvalid('Invalid Compact JWS');
  const [h = '', p = '', s = ''] = parts;
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SEGMENT.test(s)) throw new errors.JWSInvalid('not base64url');
  const header = jsonObject(h, 'JWS Protected Header');
  if (header['alg'] !== SIGNING_ALG)
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  if (header['crit'] !== undefined) throw new errors.JOSENotSupported('"crit" extensions are not supported');
  const typ = header['typ'];
  if (typeof typ !== 'string' || normalizeTyp(typ) !== 'application/jwt')
    throw new errors.JWTClaimValidationFailed('unexpected "typ" JWT header value', {}, 'typ', 'check_failed');
  const key = nodeKey(await keys(header, { payload: p, signature: s, protected: h }));
  const signature = Buffer.from(s, 'base64url');
  if (
    signature.length !== ES256_SIGNATURE_BYTES ||
    !verifySignature('sha256', Buffer.from(`${h}.${p}`), key, der(signature))
  )
    throw new errors.JWSSignatureVerificationFailed();
  return jsonObject(p, 'JWT Claims Set');
}

/**
 * The DER form (SEQUENCE of two INTEGERs) of a JWS ECDSA signature r ‖ s. Handing `verify` the
 * bare KeyObject and DER costs a third less CPU than `{ key, dsaEncoding: 'ieee-p1363' }`.
 */
function der(signature: Buffer): Buffer {
  const half = signature.length / 2;
  const r = derInteger(signature.subarray(0, half));
  const s = derInteger(signature.subarray(half));
  // At most 2 × 33 + 4 bytes: every length fits the short form.
  return Buffer.concat([
    Buffer.from([0x30, r.length + s.length + 4, 0x02, r.length]),
    r,
    Buffer.from([0x02, s.length]),
    s,
  ]);
}

/** A big-endian unsigned integer as DER INTEGER content: no leading zeros, a 0 before a high bit. */
function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

/** `JWT`, `jwt` and `application/jwt` are the same media type. */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function jsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(Buffer.from(segment, 'base64url')));
  } catch (cause) {
    throw new errors.JWTInvalid(`${what} must be a top-level JSON object`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new errors.JWTInvalid(`${what} must be a top-level JSON object`);
  return value as Record<string, unknown>;
}

/** exp, nbf, sub and iat present; iss and aud ours; exp and nbf (and iat) numbers, exp ahead and nbf behind, with the leeway. */
function checkRegisteredClaims(claims: JWTPayload, issuer: string, audience: string, toleranceSeconds: number): void {
  for (const name of ['iss', 'aud', 'exp', 'nbf', 'sub', 'iat'])
    if (!Object.hasOwn(claims, name))
      throw new errors.JWTClaimValidationFailed(`missing required "${name}" claim`, claims, name, 'missing');
  const fail = (name: string) => {
    throw new errors.JWTClaimValidationFailed(`unexpected "${name}" claim value`, claims, name, 'check_failed');
  };
  if (claims.iss !== issuer) fail('iss');
  const { aud } = claims;
  if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) fail('aud');
  const { iat, nbf, exp } = claims;
  if (typeof iat !== 'number') fail('iat');
  if (typeof nbf !== 'number') return fail('nbf');
  if (typeof exp !== 'number') return fail('exp');
  const now = Math.floor(Date.now() / 1000);
  if (nbf > now + toleranceSeconds) fail('nbf');
  if (exp <= now - toleranceSeconds)
    throw new errors.JWTExpired('"exp" claim timestamp check failed', claims, 'exp', 'check_failed');
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
  return hash('sha256', token, 'base64url');
}
