import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_PARAMS,
  dummyHash,
  hashPassword,
  needsRehash,
  scryptParamsSchema,
  shardOf,
  verifyPassword,
} from '../src/index.js';

// A low cost keeps the tests quick; the production default is checked on its own below.
const LOW = scryptParamsSchema.parse({ logN: 12 });

describe('passwords', () => {
  it('verifies the right password and refuses others, with a fresh salt each time', async () => {
    const hash = await hashPassword('correct horse battery', LOW);
    expect(hash).toMatch(/^scrypt\$4096\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await hashPassword('correct horse battery', LOW)).not.toBe(hash);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });

  it('defaults to at least the OWASP cost (N=2^17, r=8, p=1)', () => {
    expect(2 ** DEFAULT_SCRYPT_PARAMS.logN).toBeGreaterThanOrEqual(2 ** 17);
    expect(DEFAULT_SCRYPT_PARAMS).toMatchObject({ r: 8, p: 1 });
    expect(() => scryptParamsSchema.parse({ logN: 9 })).toThrow();
  });

  it('hashes at the default cost within Node’s memory limit', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
  });

  it('asks for a rehash when the stored cost is below the configured one', async () => {
    const low = await hashPassword('pw', LOW);
    expect(needsRehash(low, LOW)).toBe(false);
    expect(needsRehash(low, { ...LOW, logN: 13 })).toBe(true);
    expect(needsRehash(low, { ...LOW, r: 9 })).toBe(true);
    expect(needsRehash(await hashPassword('pw', { ...LOW, logN: 13 }), LOW)).toBe(false);
    expect(needsRehash('garbage', LOW)).toBe(true);
  });

  it('refuses stored hashes with absurd parameters instead of allocating for them', async () => {
    const good = await hashPassword('pw', LOW);
    const [, , r, p, salt, key] = good.split('$');
    expect(await verifyPassword('pw', ['scrypt', 2 ** 24, r, p, salt, key].join('$'))).toBe(false);
    expect(await verifyPassword('pw', ['scrypt', 3000, r, p, salt, key].join('$'))).toBe(false);
  });

  it('keeps one dummy hash per cost, at that cost', async () => {
    expect(await dummyHash(LOW)).toBe(await dummyHash(LOW));
    expect(await dummyHash(LOW)).toMatch(/^scrypt\$4096\$/);
  });
});

describe('shardOf', () => {
  it('is stable and within range', () => {
    expect(shardOf('01M80BW9EBXY0NWT6VVHH4DCN3', 2)).toBe(shardOf('01M80BW9EBXY0NWT6VVHH4DCN3', 2));
    for (let i = 0; i < 100; i++) expect(shardOf(`id${i}`, 4)).toBeLessThan(4);
  });
});
