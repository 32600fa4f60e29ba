import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Random bytes drawn in one call and handed out 16 at a time; one ULID needs 16. */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/**
 * A ULID (48-bit millisecond time, 80 random bits, Crockford base32), as `ulid()` of the `ulid`
 * package makes it, but from a pool of random bytes: that package asks the CSPRNG once per
 * character (16 calls per id), which cost more than the rest of a grab's own work.
 */
export function ulid(now: number = Date.now()): string {
  let out = '';
  let time = now;
  for (let i = 9; i >= 0; i--) {
    const mod = time % 32;
    out = CROCKFORD.charAt(mod) + out;
    time = (time - mod) / 32;
  }
  if (used + 16 > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  // 256 is a multiple of 32, so the low 5 bits of a uniform byte are uniform.
  for (let i = 0; i < 16; i++) out += CROCKFORD.charAt(pool[used + i]! & 31);
  used += 16;
  return out;
}
