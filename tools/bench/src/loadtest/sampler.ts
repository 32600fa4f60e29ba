import type { Distribution } from './options.js';

/** In the skewed distribution, this share of the users (the hot ones)… */
export const HOT_USER_SHARE = 0.1;
/** …makes this share of the attempts. */
export const HOT_ATTEMPT_SHARE = 0.5;

/** A random number in [0, 1), as Math.random gives. */
export type Random = () => number;

/** Mulberry32: a small seeded generator, so tests (and reruns) can repeat a sequence. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** How many users are hot in the skewed distribution (users 0 … hot-1). */
export function hotUsers(users: number): number {
  return Math.min(users, Math.max(1, Math.round(users * HOT_USER_SHARE)));
}

/**
 * Picks the user (0 … users-1) of each attempt. Uniform: every user equally likely. Skewed: the
 * hot 10% of users (the lowest numbers) make half the attempts, the other 90% the other half.
 */
export function userPicker(users: number, distribution: Distribution, random: Random = Math.random): () => number {
  const hot = hotUsers(users);
  if (distribution === 'uniform' || hot === users) return () => Math.floor(random() * users);
  return () => (random() < HOT_ATTEMPT_SHARE ? Math.floor(random() * hot) : hot + Math.floor(random() * (users - hot)));
}

/** The user of every attempt, drawn up front (so only users that are picked get a token). */
export function pickSequence(attempts: number, pick: () => number): Uint32Array {
  const picks = new Uint32Array(attempts);
  for (let i = 0; i < attempts; i++) picks[i] = pick();
  return picks;
}

/** Ids of the distinct users in a sequence, ascending. */
export function distinctUsers(picks: Uint32Array): number[] {
  return [...new Set(picks)].sort((a, b) => a - b);
}
