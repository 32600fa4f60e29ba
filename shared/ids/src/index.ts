import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

// The `ulid` package's own generator asks the CSPRNG for one value per character (16 calls of
// getRandomValues, ~30 µs an id): more than the rest of a grab's own work, and most of an order
// batch's CPU. Same ULIDs, their random part drawn from a refilled pool of bytes; a byte / 256 picks
// each of the 32 characters as uniformly as before (256 is a multiple of 32).
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let next = POOL_BYTES;

function pooledRandom(): number {
  if (next === POOL_BYTES) {
    randomFillSync(pool);
    next = 0;
  }
  return (pool[next++] as number) / 256;
}

/** A new ULID (48-bit millisecond time, 80 random bits, Crockford base32). */
export function newId(now: number = Date.now()): string {
  return ulid(now, pooledRandom);
}
