import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * scrypt cost: N = 2^logN, block size r, parallelization p. The default N=2^17, r=8, p=1 is
 * OWASP's minimum for scrypt; it needs 128 × N × r = 128 MiB of memory per hash while it runs
 * (on one of libuv's 4 threads, so up to 512 MiB with 4 logins at once: size the pod for it).
 * Tests may configure a lower cost; every stored hash records its own parameters, so raising
 * the cost later keeps old hashes valid and they are rehashed at the next login.
 */
export const scryptParamsSchema = z
  .strictObject({
    logN: z.int().min(10).max(20).default(17),
    r: z.int().min(1).max(32).default(8),
    p: z.int().min(1).max(16).default(1),
  })
  .prefault({});
export type ScryptParams = z.output<typeof scryptParamsSchema>;

/** The production default (N=2^17, r=8, p=1). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = scryptParamsSchema.parse(undefined);

const KEY_LENGTH = 32;
// Stored hashes are read back with at most this cost, so a corrupt or planted row cannot make a
// login allocate gigabytes.
const MAX_STORED_N = 2 ** 20;
const MAX_STORED_R = 32;

/** scrypt needs 128 × N × r bytes (plus a little per p); Node refuses more than `maxmem`. */
const maxmemFor = (N: number, r: number, p: number) => 128 * N * r + 128 * r * p + 1024 * 1024;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** params.logN;
  const key = await derive(password, salt, { N, r: params.r, p: params.p, maxmem: maxmemFor(N, params.r, params.p) });
  return `scrypt$${N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const dummyHashes = new Map<string, Promise<string>>();

/**
 * A hash of a random password at `params`, compared against when the user does not exist: the
 * same cost as a real user's, so the answer time does not tell whether the name exists.
 */
export function dummyHash(params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const id = `${params.logN}/${params.r}/${params.p}`;
  let hash = dummyHashes.get(id);
  if (hash === undefined) {
    hash = hashPassword(randomBytes(16).toString('hex'), params);
    dummyHashes.set(id, hash);
  }
  return hash;
}

interface StoredHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parseHash(stored: string): StoredHash | undefined {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined || rest.length > 0) return undefined;
  const [N, R, P] = [Number(n), Number(r), Number(p)];
  const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_STORED_N || !Number.isInteger(R) || R < 1 || R > MAX_STORED_R) return undefined;
  if (!Number.isInteger(P) || P < 1 || P > 16) return undefined;
  return { N, r: R, p: P, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const hash = parseHash(stored);
  if (hash === undefined) return false;
  const actual = await derive(password, hash.salt, {
    N: hash.N,
    r: hash.r,
    p: hash.p,
    maxmem: maxmemFor(hash.N, hash.r, hash.p),
  });
  return actual.length === hash.key.length && timingSafeEqual(actual, hash.key);
}

/** Whether a stored hash was made with less work than `params` asks for (rehash it at login). */
export function needsRehash(stored: string, params: ScryptParams): boolean {
  const hash = parseHash(stored);
  return hash === undefined || hash.N < 2 ** params.logN || hash.r < params.r || hash.p < params.p;
}
