import { describe, expect, it } from 'vitest';
import { hashPassword, shardOf, verifyPassword } from '../src/index.js';

describe('passwords', () => {
  it('verifies the right password and refuses others, with a fresh salt each time', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(hash);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});

describe('shardOf', () => {
  it('is stable and within range', () => {
    expect(shardOf('01M80BW9EBXY0NWT6VVHH4DCN3', 2)).toBe(shardOf('01M80BW9EBXY0NWT6VVHH4DCN3', 2));
    for (let i = 0; i < 100; i++) expect(shardOf(`id${i}`, 4)).toBeLessThan(4);
  });
});
