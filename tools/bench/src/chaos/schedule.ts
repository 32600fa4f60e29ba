import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** The functions the campaign runs as processes of their own (each one can be SIGKILLed). */
export const KILLABLE = [
  'user-auth',
  'coupon-admin',
  'user-lookup',
  'grab-coupon',
  'grab-result',
  'orders',
  'audit',
  'outbox-relay',
  'create-order',
  'kafkasource',
] as const;
export type Killable = (typeof KILLABLE)[number];

/**
 * Every fault the campaign injects. `kill:*` SIGKILLs a process and starts it again on its port;
 * `*:latency|reset|blackhole` are toxics of the TCP proxy in front of a server; `*:stop` is
 * SIGSTOP … SIGCONT; `*:restart` is SIGKILL and a start on the same data and port.
 */
export const FAULT_KINDS = [
  ...KILLABLE.map((name) => `kill:${name}` as const),
  'redis:pause',
  'redis:restart',
  'redis:latency',
  'redis:reset',
  'redis:blackhole',
  'mysql:latency',
  'mysql:reset',
  'mysql:blackhole',
  'mysql:stop',
  'mysql:restart',
  'kafka:latency',
  'kafka:reset',
  'kafka:blackhole',
  'kafka:stop',
  'kafka:restart',
  'nacos:down',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What an administrator does during the sale, through the gateway (audit: its job entry point). */
export const ADMIN_KINDS = [
  'patch-up',
  'patch-down',
  'delete',
  'preheat',
  'audit',
  'flow-rules',
  'deactivate',
] as const;
export type AdminKind = (typeof ADMIN_KINDS)[number];

/** What users do besides grabbing once; every schedule has each of them. */
export const USER_KINDS = ['retry-same-key', 'duplicate-submit', 'cancel-queued'] as const;
export type UserKind = (typeof USER_KINDS)[number];

export interface FaultStep {
  readonly kind: FaultKind;
  /** Pause before the fault, after the previous one ended (faults run one after another). */
  readonly gapMs: number;
  /** How long the fault lasts (a killed process stays down this long before its restart). */
  readonly holdMs: number;
  /** Latency of a latency toxic. */
  readonly latencyMs: number;
}

export interface AdminStep {
  readonly kind: AdminKind;
  /** Offset from the start of the sale. */
  readonly atMs: number;
  /** Units a PATCH adds or removes. */
  readonly delta: number;
  /** How long a deactivation or a flow-rule change lasts before it is undone. */
  readonly holdMs: number;
  /** DELETE with ?force=true. */
  readonly force: boolean;
}

export interface IntentPlan {
  /** Offset from the start of the sale. */
  readonly atMs: number;
  /** Sent twice at once with the same Idempotency-Key (a double click). */
  readonly duplicate: boolean;
  /** Cancel the order as soon as the grab has one. */
  readonly cancel: boolean;
}

export interface UserPlan {
  readonly userId: string;
  readonly intents: readonly IntentPlan[];
}

export interface SchedulePlan {
  readonly seed: number;
  readonly saleMs: number;
  readonly totalStock: number;
  readonly perUserLimit: number;
  readonly users: readonly UserPlan[];
  readonly faults: readonly FaultStep[];
  readonly admin: readonly AdminStep[];
}

export interface PlanOptions {
  /** How long users grab. */
  readonly saleMs: number;
}

/** Faults and admin actions every schedule has for sure; consecutive seeds take consecutive ones. */
export const BASE_FAULTS = 3;
export const BASE_ADMIN = 2;

/** A seeded random source: the same seed gives the same numbers, so a schedule can be rerun. */
export class Rng {
  readonly #generator;

  constructor(seed: number) {
    this.#generator = xoroshiro128plus(seed);
  }

  /** An integer in [from, to]. */
  int(from: number, to: number): number {
    return uniformInt(this.#generator, from, to);
  }

  chance(probability: number): boolean {
    return this.int(0, 999_999) < probability * 1_000_000;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }
}

/**
 * Round robin over `kinds` by seed, plus random extras: schedule `seed` takes the kinds at
 * positions seed·base … seed·base+base−1 (mod the number of kinds), so any n consecutive seeds
 * cover n·base consecutive positions and every kind appears in at least ⌊n·base / kinds⌋ of them
 * (50 schedules: every fault kind ≥ 5 times, every admin action ≥ 14 times).
 */
function coverage<T>(rng: Rng, seed: number, kinds: readonly T[], base: number, extras: number): T[] {
  const chosen = new Set<T>();
  for (let j = 0; j < base; j++) chosen.add(kinds[(seed * base + j) % kinds.length] as T);
  const rest = kinds.filter((k) => !chosen.has(k));
  for (let j = 0; j < extras && rest.length > 0; j++) chosen.add(rest.splice(rng.int(0, rest.length - 1), 1)[0] as T);
  return rng.shuffle([...chosen]);
}

function holdOf(rng: Rng, kind: FaultKind): number {
  if (kind.startsWith('kill:') || kind.endsWith(':restart') || kind === 'nacos:down') return rng.int(300, 2500);
  if (kind === 'redis:pause') return rng.int(1000, 5000);
  return rng.int(1500, 5000);
}

/** The whole schedule of one seed: the coupon, the users and what they do, faults, admin actions. */
export function planSchedule(seed: number, options: PlanOptions): SchedulePlan {
  const rng = new Rng(seed);
  const { saleMs } = options;
  const faults = coverage(rng, seed, FAULT_KINDS, BASE_FAULTS, rng.int(0, 1)).map((kind) => ({
    kind,
    gapMs: rng.int(300, 2000),
    holdMs: holdOf(rng, kind),
    latencyMs: rng.int(200, 1500),
  }));
  const admin = coverage(rng, seed, ADMIN_KINDS, BASE_ADMIN, rng.int(0, 1))
    .map((kind) => ({
      kind,
      atMs: rng.int(Math.round(saleMs * 0.1), Math.round(saleMs * 0.85)),
      delta: rng.int(3, 15),
      holdMs: rng.int(1000, 3000),
      force: rng.chance(0.5),
    }))
    .sort((a, b) => a.atMs - b.atMs);
  const userCount = rng.int(40, 80);
  const users: UserPlan[] = Array.from({ length: userCount }, (_, i) => ({
    userId: `chaos-${seed}-u${String(i).padStart(3, '0')}`,
    intents: Array.from({ length: rng.int(1, 4) }, (_unused, n) => ({
      atMs: rng.int(0, saleMs),
      // Every schedule has at least one double click and one cancel.
      duplicate: (i === 0 && n === 0) || rng.chance(0.15),
      cancel: (i === 1 && n === 0) || rng.chance(0.12),
    })),
  }));
  return {
    seed,
    saleMs,
    totalStock: rng.int(Math.round(userCount * 0.8), Math.round(userCount * 1.4)),
    perUserLimit: 2,
    users,
    faults,
    admin,
  };
}

/** How many schedules each fault kind, admin action and user action appeared in. */
export class Tally {
  readonly faults = new Map<FaultKind, number>(FAULT_KINDS.map((k) => [k, 0]));
  readonly admin = new Map<AdminKind, number>(ADMIN_KINDS.map((k) => [k, 0]));
  readonly user = new Map<UserKind, number>(USER_KINDS.map((k) => [k, 0]));
  schedules = 0;

  add(faults: Iterable<FaultKind>, admin: Iterable<AdminKind>, user: Iterable<UserKind>): void {
    this.schedules += 1;
    for (const k of new Set(faults)) this.faults.set(k, (this.faults.get(k) ?? 0) + 1);
    for (const k of new Set(admin)) this.admin.set(k, (this.admin.get(k) ?? 0) + 1);
    for (const k of new Set(user)) this.user.set(k, (this.user.get(k) ?? 0) + 1);
  }

  /** Kinds that appeared in fewer than `min` schedules. */
  below(min: number): string[] {
    return [...this.faults, ...this.admin, ...this.user].filter(([, n]) => n < min).map(([k]) => k);
  }

  lines(): string[] {
    const row = (title: string, entries: Iterable<[string, number]>) =>
      `${title.padEnd(7)} ${[...entries].map(([k, n]) => `${k}=${n}`).join(' ')}`;
    return [
      `tally over ${this.schedules} schedules (schedules each kind appeared in):`,
      row('faults', this.faults),
      row('admin', this.admin),
      row('users', this.user),
    ];
  }
}
