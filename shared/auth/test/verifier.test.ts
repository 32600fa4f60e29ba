import type { webcrypto } from 'node:crypto';
import { AppError } from '@couponkill/errors';
import { describe, expect, it } from 'vitest';
import { authenticate, bearerToken, createVerifier, publicJwks, requireRole } from '../src/index.js';
import { AUDIENCE, claims, forged, hs256, ISSUER, keys, ring, token } from './tokens.js';

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('createVerifier: the bad-token matrix', async () => {
  const { a } = await keys();
  const signing = await ring(a);
  const jwks = publicJwks(signing);
  const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, cacheTtlMs: 0 });

  it('accepts a good token and returns the caller', async () => {
    const caller = await verify(await token(signing, ['user', 'admin']));
    expect(caller.userId).toBe('u1');
    expect(caller.roles).toEqual(['user', 'admin']);
  });

  it('accepts typ application/jwt and an audience list that includes ours', async () => {
    const caller = await verify(
      await forgedSigned(signing, claims({ aud: ['other', AUDIENCE] }), { typ: 'application/jwt' }),
    );
    expect(caller.userId).toBe('u1');
  });

  const cases: Array<[string, () => Promise<string>]> = [
    ['malformed', async () => 'not.a.jwt'],
    ['alg none', async () => `${forged({ alg: 'none', typ: 'JWT' }, claims())}`],
    [
      'HS256 signed with the public key',
      async () => forged({ alg: 'HS256', kid: 'key-a', typ: 'JWT' }, claims(), hs256(JSON.stringify(jwks.keys[0]))),
    ],
    ['wrong issuer', async () => forgedSigned(signing, claims({ iss: 'https://evil.example' }))],
    ['wrong audience', async () => forgedSigned(signing, claims({ aud: 'someone-else' }))],
    ['expired', async () => forgedSigned(signing, claims({ exp: Math.floor(Date.now() / 1000) - 60 }))],
    ['not yet valid', async () => forgedSigned(signing, claims({ nbf: Math.floor(Date.now() / 1000) + 600 }))],
    [
      'unknown kid',
      async () => {
        const other = await ring({ ...(await keys()).a, kid: 'key-x' });
        return token(other);
      },
    ],
    [
      'tampered roles',
      async () => {
        const [h, , s] = (await token(signing, ['user'])).split('.');
        const payload = Buffer.from(JSON.stringify(claims({ roles: ['user', 'admin'] }))).toString('base64url');
        return `${h}.${payload}.${s}`;
      },
    ],
    ['a role we do not know', async () => forgedSigned(signing, claims({ roles: ['root'] }))],
    ['no iat', async () => forgedSigned(signing, claims({ iat: undefined }))],
    ['a string exp', async () => forgedSigned(signing, claims({ exp: '9999999999' }), { raw: true })],
    ['typ other than JWT', async () => forgedSigned(signing, claims(), { typ: 'at+jwt' })],
    [
      'a crit extension',
      async () => {
        const { sign } = await import('node:crypto');
        const key = await privateKeyOf(signing);
        return forged({ alg: 'ES256', kid: 'key-a', typ: 'JWT', crit: ['b64'], b64: true }, claims(), (input) =>
          sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
        );
      },
    ],
    [
      'ES384 in the header',
      async () => {
        const [, p, s] = (await token(signing)).split('.');
        const h = Buffer.from(JSON.stringify({ alg: 'ES384', kid: 'key-a', typ: 'JWT' })).toString('base64url');
        return `${h}.${p}.${s}`;
      },
    ],
    [
      'a truncated signature',
      async () => {
        const t = await token(signing);
        return t.slice(0, -4);
      },
    ],
    [
      'a DER-encoded signature',
      async () => {
        const [h, p] = (await token(signing)).split('.');
        const { sign } = await import('node:crypto');
        const der = sign('sha256', Buffer.from(`${h}.${p}`), { key: await privateKeyOf(signing) });
        return `${h}.${p}.${der.toString('base64url')}`;
      },
    ],
    ['a header that is not JSON', async () => `bm90IGpzb24.${(await token(signing)).split('.').slice(1).join('.')}`],
    ['no subject', async () => forgedSigned(signing, claims({ sub: undefined }))],
  ];

  for (const [name, make] of cases) {
    it(`refuses ${name} with 401 UNAUTHENTICATED`, async () => {
      const error = await rejection(verify(await make()));
      expect(error).toBeInstanceOf(AppError);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.status).toBe(401);
    });
  }
});

async function privateKeyOf(r: Awaited<ReturnType<typeof ring>>) {
  const { KeyObject } = await import('node:crypto');
  return KeyObject.from(r.active.privateKey as webcrypto.CryptoKey);
}

async function forgedSigned(
  r: Awaited<ReturnType<typeof ring>>,
  payload: Record<string, unknown>,
  header: Record<string, unknown> & { raw?: boolean } = {},
): Promise<string> {
  // Signed with our real key: only the claims (or the header) are wrong.
  const { SignJWT, CompactSign } = await import('jose');
  const { raw, ...extra } = header;
  const protectedHeader = { alg: 'ES256', kid: r.active.kid, typ: 'JWT', ...extra };
  if (raw === true) {
    // Claims exactly as given, types included (SignJWT would refuse a string exp).
    return new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader(protectedHeader)
      .sign(r.active.privateKey);
  }
  const { iss, aud, sub, exp, nbf, iat, ...rest } = payload as Record<string, never>;
  let jwt = new SignJWT(rest).setProtectedHeader(protectedHeader);
  if (iss !== undefined) jwt = jwt.setIssuer(iss);
  if (aud !== undefined) jwt = jwt.setAudience(aud);
  if (sub !== undefined) jwt = jwt.setSubject(sub);
  if (exp !== undefined) jwt = jwt.setExpirationTime(exp);
  if (nbf !== undefined) jwt = jwt.setNotBefore(nbf);
  if (iat !== undefined) jwt = jwt.setIssuedAt(iat);
  return jwt.sign(r.active.privateKey);
}

describe('key rotation', () => {
  it('verifies tokens of both keys while both are published, and only the new key after the old one is removed', async () => {
    const { a, b } = await keys();
    const before = await ring(a, b); // a signs, b already published
    const oldToken = await token(before);
    const after = await ring({ ...a, active: false }, { ...b, active: true }); // b signs now
    const newToken = await token(after);

    const both = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: publicJwks(after), cacheTtlMs: 0 });
    await expect(both(oldToken)).resolves.toMatchObject({ userId: 'u1' });
    await expect(both(newToken)).resolves.toMatchObject({ userId: 'u1' });

    const onlyB = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: publicJwks(await ring({ ...b, active: true })),
      cacheTtlMs: 0,
    });
    await expect(onlyB(newToken)).resolves.toMatchObject({ userId: 'u1' });
    expect((await rejection(onlyB(oldToken))).code).toBe('UNAUTHENTICATED');
  });
});

describe('the verified-token cache', () => {
  it('answers a repeated token from memory but never past its expiry', async () => {
    const { a } = await keys();
    const signing = await ring(a);
    const verify = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: publicJwks(signing),
      cacheTtlMs: 60_000,
      clockToleranceSeconds: 0,
    });
    const shortLived = await token(signing, ['user'], 1);
    const first = await verify(shortLived);
    expect(await verify(shortLived)).toBe(first); // the same object: served from the cache
    await new Promise((r) => setTimeout(r, 1100 + (first.expiresAt * 1000 - Date.now())));
    expect((await rejection(verify(shortLived))).code).toBe('UNAUTHENTICATED');
  });
});

describe('bearerToken and roles', () => {
  it('takes identity only from the Authorization header', async () => {
    expect(bearerToken({ authorization: 'Bearer a.b.c' })).toBe('a.b.c');
    expect(bearerToken({ authorization: 'bearer a.b.c' })).toBe('a.b.c');
    for (const headers of [
      {},
      { authorization: 'Basic dTpw' },
      { authorization: 'Bearer' },
      { cookie: 'token=a.b.c' },
      { 'x-user-id': 'admin' },
    ]) {
      expect(() => bearerToken(headers)).toThrow(AppError);
    }
    const { a } = await keys();
    const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: publicJwks(await ring(a)) });
    expect((await rejection(authenticate(verify, { 'x-user-id': 'u1' }))).code).toBe('UNAUTHENTICATED');
  });

  it('answers 403 FORBIDDEN for a missing role', () => {
    const caller = { userId: 'u1', roles: ['user'] as const, tokenId: undefined, expiresAt: 0 };
    expect(() => requireRole(caller, 'admin')).toThrow(expect.objectContaining({ code: 'FORBIDDEN', status: 403 }));
    expect(() => requireRole(caller, 'user')).not.toThrow();
  });
});

describe('createVerifier: signatures with leading zero bytes', async () => {
  const { a } = await keys();
  const signing = await ring(a);
  const verify = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: publicJwks(signing), cacheTtlMs: 0 });

  it('accepts tokens whose r or s starts with zero bytes or a high bit', async () => {
    // About 1 in 128 signatures has r or s below 2^248; sign until both kinds have been seen.
    const { sign } = await import('node:crypto');
    const key = await privateKeyOf(signing);
    let leadingZero = 0;
    let highBit = 0;
    for (let i = 0; leadingZero < 2 || highBit < 2; i++) {
      const t = forged({ alg: 'ES256', kid: 'key-a', typ: 'JWT' }, claims({ jti: `t${i}` }), (input) =>
        sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
      );
      const sig = Buffer.from(t.split('.')[2] ?? '', 'base64url');
      const zero = sig[0] === 0 || sig[32] === 0;
      const high = ((sig[0] ?? 0) & 0x80) !== 0 && ((sig[32] ?? 0) & 0x80) !== 0;
      if (!zero && !high) continue;
      if (zero) leadingZero++;
      if (high) highBit++;
      expect((await verify(t)).userId).toBe('u1');
    }
  });
});
