import { createHmac } from 'node:crypto';
import {
  generateSigningKey,
  issueAccessToken,
  type KeyRing,
  loadKeyRing,
  type SigningKeyConfig,
} from '../src/index.js';

export const ISSUER = 'https://auth.couponkill.test';
export const AUDIENCE = 'couponkill';

export async function ring(...configs: SigningKeyConfig[]): Promise<KeyRing> {
  return loadKeyRing(configs);
}

export async function keys(): Promise<{ a: SigningKeyConfig; b: SigningKeyConfig }> {
  return { a: await generateSigningKey('key-a', true), b: await generateSigningKey('key-b') };
}

export function token(r: KeyRing, roles: Array<'user' | 'admin'> = ['user'], ttlSeconds = 900): Promise<string> {
  return issueAccessToken(r, { userId: 'u1', roles }, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds }).then(
    (t) => t.token,
  );
}

const b64 = (value: object | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token assembled by hand, for the attacks a verifier must refuse. */
export function forged(header: object, payload: object, sign: (input: string) => string = () => ''): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(input)}`;
}

export function hs256(secret: string): (input: string) => string {
  return (input) => createHmac('sha256', secret).update(input).digest('base64url');
}

export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub: 'u1', roles: ['user'], iat: now, nbf: now, exp: now + 600, ...overrides };
}
