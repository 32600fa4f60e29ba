// jose's entry points, not its index: the index loads all of jose (JWE included), 46 modules.
import type { JWK } from 'jose';
import { generateKeyPair } from 'jose/key/generate/keypair';
import { exportJWK } from 'jose/key/export';
import { importJWK } from 'jose/key/import';
import { z } from 'zod';

/** Tokens are signed with ECDSA P-256 (ES256): small signatures, fast verification. */
export const SIGNING_ALG = 'ES256';

/** One signing key as configured: a private JWK with its `kid`. */
export const signingKeySchema = z.object({
  kid: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'kid: letters, digits, . _ -'),
  /** The key new tokens are signed with; exactly one key is active. */
  active: z.boolean().default(false),
  privateJwk: z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string(), d: z.string() }),
});
export type SigningKeyConfig = z.output<typeof signingKeySchema>;

export const signingKeysSchema = z
  .array(signingKeySchema)
  .min(1, 'at least one signing key')
  .refine((keys) => keys.filter((k) => k.active).length === 1, 'exactly one signing key must be active')
  .refine((keys) => new Set(keys.map((k) => k.kid)).size === keys.length, 'kids must be unique');

/** A private key as jose imports it. */
type PrivateKey = Awaited<ReturnType<typeof importJWK>>;

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: PrivateKey;
  readonly publicJwk: JWK;
}

/**
 * The keys of the token issuer. Every key is published in the JWKS; the active one signs. To
 * rotate: add a new key (published, not active), let caches pick it up, make it active, and
 * remove the old key once the tokens it signed have expired.
 */
export interface KeyRing {
  readonly active: SigningKey;
  readonly keys: readonly SigningKey[];
}

export async function loadKeyRing(configs: readonly SigningKeyConfig[]): Promise<KeyRing> {
  const keys = await Promise.all(
    configs.map(async (config) => {
      const privateKey = await importJWK({ ...config.privateJwk, alg: SIGNING_ALG }, SIGNING_ALG);
      const { d: _private, ...publicPart } = config.privateJwk;
      return {
        kid: config.kid,
        privateKey,
        publicJwk: { ...publicPart, kid: config.kid, alg: SIGNING_ALG, use: 'sig' },
      };
    }),
  );
  const active = keys[configs.findIndex((c) => c.active)];
  if (active === undefined) throw new Error('no active signing key');
  return { active, keys };
}

/** A fresh key (for `make dev`, tests and rotation runbooks); store it as a secret. */
export async function generateSigningKey(kid: string, active = false): Promise<SigningKeyConfig> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return signingKeySchema.parse({ kid, active, privateJwk: jwk });
}

/** The JSON Web Key Set served at `/.well-known/jwks.json` (public parts only). */
export function publicJwks(ring: KeyRing): { keys: JWK[] } {
  return { keys: ring.keys.map((key) => key.publicJwk) };
}
