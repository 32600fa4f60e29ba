import type { GrabAttempt } from './grab-load.js';
import type { SaleRig } from './sale-rig.js';

/** Fisher–Yates: every order equally likely (sort with a random comparator is badly biased). */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/**
 * Grab attempts for `users` users pressing `presses` times each (a user's presses go out at
 * once, as a burst), shuffled. Tokens are signed once per user.
 */
export async function pressingUsers(
  rig: SaleRig,
  prefix: string,
  users: number,
  presses: number,
): Promise<GrabAttempt[][]> {
  const waves: GrabAttempt[][] = [];
  for (let i = 0; i < users; i++) {
    const userId = `${prefix}${String(i).padStart(5, '0')}`;
    const token = await rig.token(userId);
    waves.push(Array.from({ length: presses }, () => ({ userId, token })));
  }
  return shuffle(waves);
}

/** Waits until no accepted grab is still QUEUED (each has an order or was compensated). */
export async function settle(rig: SaleRig, grabIds: readonly string[], timeoutMs = 90_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const records = await Promise.all(grabIds.map((id) => rig.sale.record(id)));
    if (records.every((r) => r !== undefined && r.status !== 'QUEUED')) return performance.now() - started;
    if (performance.now() - started > timeoutMs) {
      const queued = records.filter((r) => r?.status === 'QUEUED').length;
      throw new Error(`${queued} grabs still QUEUED after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
