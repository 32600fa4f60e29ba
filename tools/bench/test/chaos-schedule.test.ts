import { describe, expect, it } from 'vitest';
import { ADMIN_KINDS, FAULT_KINDS, planSchedule, Tally, USER_KINDS } from '../src/chaos/schedule.js';

const options = { saleMs: 20_000 };

describe('chaos schedules', () => {
  it('one seed always gives the same schedule (a failing seed reruns exactly)', () => {
    expect(planSchedule(424242, options)).toEqual(planSchedule(424242, options));
    expect(planSchedule(424242, options)).not.toEqual(planSchedule(424243, options));
  });

  it.each([0, 1, 977, 123_456, 2 ** 31 - 60])(
    'every fault kind, admin action and user action appears in at least 5 of 50 schedules from seed %i',
    (first) => {
      const tally = new Tally();
      for (let k = 0; k < 50; k++) {
        const plan = planSchedule(first + k, options);
        const intents = plan.users.flatMap((u) => u.intents);
        tally.add(
          plan.faults.map((f) => f.kind),
          plan.admin.map((a) => a.kind),
          USER_KINDS.filter(
            (kind) =>
              kind === 'retry-same-key' ||
              (kind === 'duplicate-submit' && intents.some((i) => i.duplicate)) ||
              (kind === 'cancel-queued' && intents.some((i) => i.cancel)),
          ),
        );
      }
      expect(tally.below(5)).toEqual([]);
      expect([...tally.faults.keys()]).toEqual([...FAULT_KINDS]);
      expect([...tally.admin.keys()]).toEqual([...ADMIN_KINDS]);
    },
  );

  it('a schedule never repeats a fault or an admin action, and acts inside its sale', () => {
    for (let seed = 0; seed < 200; seed++) {
      const plan = planSchedule(seed, options);
      expect(new Set(plan.faults.map((f) => f.kind)).size).toBe(plan.faults.length);
      expect(new Set(plan.admin.map((a) => a.kind)).size).toBe(plan.admin.length);
      for (const step of plan.admin) expect(step.atMs).toBeLessThanOrEqual(options.saleMs);
      for (const user of plan.users)
        for (const intent of user.intents) expect(intent.atMs).toBeLessThanOrEqual(options.saleMs);
    }
  });
});
