import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (48-bit time, 80 random bits, Crockford base32): coupon ids and order ids of the bench. */
export function newUlid(now = Date.now()): string {
  let time = '';
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = (CROCKFORD[t % 32] ?? '0') + time;
  const random = [...randomBytes(16)].map((b) => CROCKFORD[b % 32] ?? '0').join('');
  return time + random;
}
