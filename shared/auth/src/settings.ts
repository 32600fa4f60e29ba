import { z } from 'zod';
import { createVerifier, type Verify } from './verifier.js';

/** The `auth` section of every function that verifies tokens. */
export const verifierSettingsSchema = z.object({
  issuer: z.string().min(1).default('https://auth.couponkill.local'),
  audience: z.string().min(1).default('couponkill'),
  /** user-auth's `/.well-known/jwks.json`. */
  jwksUrl: z.url().default('http://user-auth.couponkill.svc.cluster.local/.well-known/jwks.json'),
});
export type VerifierSettings = z.output<typeof verifierSettingsSchema>;

/** The environment variables of that section (for `loadConfig`'s env map). */
export const VERIFIER_ENV = {
  AUTH_ISSUER: 'auth.issuer',
  AUTH_AUDIENCE: 'auth.audience',
  AUTH_JWKS_URL: 'auth.jwksUrl',
} as const;

export function verifierFrom(settings: VerifierSettings): Verify {
  return createVerifier({ issuer: settings.issuer, audience: settings.audience, jwks: new URL(settings.jwksUrl) });
}
