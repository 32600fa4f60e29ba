import { describe, expect, it } from 'vitest';
import { describeSalePinning, pressOrder } from '../src/bench/whole-sale.js';

describe('the whole sale’s presses', () => {
  it('every attempt once, spread over the users as evenly as possible, a user’s presses side by side', () => {
    const presses = pressOrder({ attempts: 25, users: 10 });
    expect(presses).toHaveLength(25);
    const counts = new Map<number, number>();
    for (const user of presses) counts.set(user, (counts.get(user) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // 25 over 10: users 0–4 press three times, the others twice.
    for (const [user, n] of counts) expect(n).toBe(user < 5 ? 3 : 2);
    // Each user's presses form one run.
    const runs = presses.filter((user, i) => i === 0 || presses[i - 1] !== user);
    expect(runs).toHaveLength(10);
  });

  it('shuffles the users', () => {
    const orders = new Set(Array.from({ length: 5 }, () => pressOrder({ attempts: 200, users: 100 }).join(',')));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('says which processes are pinned', () => {
    expect(describeSalePinning({ server: '1', loadgen: '0' })).toMatch(
      /^load generator on core 0 \(taskset\);.*unpinned$/,
    );
    expect(describeSalePinning({})).toMatch(/^NOT pinned/);
  });
});
