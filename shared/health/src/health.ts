import { type Check, type CheckResult, runCheck } from './run-check.js';

export interface HealthOptions {
  /** Upper bound for each check; a slower dependency counts as down. */
  readonly timeoutMs?: number;
  /** How long one readiness result is reused, so a probe storm does not hammer dependencies. */
  readonly cacheMs?: number;
  /** Monotonic clock in ms; tests pass a fake one. */
  readonly now?: () => number;
}

export type Liveness = { readonly status: 'ok' } | { readonly status: 'broken'; readonly reason: string };

export interface Readiness {
  readonly ready: boolean;
  readonly status: 'ok' | 'unavailable';
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export interface Health {
  /** Registers a dependency probe run on every (uncached) readiness call. Names are unique. */
  addCheck(name: string, check: Check): void;
  liveness(): Liveness;
  /** Marks the process as unrecoverable (e.g. a consumer loop died); liveness fails from now on. */
  markBroken(reason: string): void;
  readiness(): Promise<Readiness>;
  /** `false` while draining on shutdown: readiness fails at once without probing anything. */
  setReady(ready: boolean): void;
}

export function createHealth(options: HealthOptions = {}): Health {
  const { timeoutMs = 1000, cacheMs = 1000, now = () => performance.now() } = options;
  const checks = new Map<string, Check>();
  let broken: string | undefined;
  let accepting = true;
  // The promise is cached, not just the result, so concurrent probes share one in-flight run.
  let cached: { readonly result: Promise<Readiness>; expiresAt: number } | undefined;

  async function probe(): Promise<Readiness> {
    const entries = [...checks];
    const results = await Promise.all(entries.map(([, check]) => runCheck(check, timeoutMs, now)));
    const byName: Record<string, CheckResult> = {};
    entries.forEach(([name], i) => {
      const result = results[i];
      if (result !== undefined) byName[name] = result;
    });
    const ready = results.every((r) => r.ok);
    return Object.freeze({ ready, status: ready ? 'ok' : 'unavailable', checks: Object.freeze(byName) });
  }

  return {
    addCheck(name, check) {
      if (checks.has(name)) throw new Error(`health check "${name}" is already registered`);
      checks.set(name, check);
      cached = undefined;
    },
    liveness: () => (broken === undefined ? { status: 'ok' } : { status: 'broken', reason: broken }),
    markBroken(reason) {
      // The first reason is kept: it is the cause, later ones are usually consequences.
      broken ??= reason;
    },
    setReady(ready) {
      accepting = ready;
      cached = undefined;
    },
    readiness() {
      if (!accepting) {
        return Promise.resolve({
          ready: false,
          status: 'unavailable',
          checks: { shutdown: { ok: false, ms: 0, error: 'shutting down' } },
        });
      }
      if (cached !== undefined && now() < cached.expiresAt) return cached.result;
      const entry = { result: probe(), expiresAt: Number.POSITIVE_INFINITY };
      cached = entry;
      // The cache window starts when the run finishes; until then everyone awaits the same run.
      void entry.result.then(() => {
        entry.expiresAt = now() + cacheMs;
      });
      return entry.result;
    },
  };
}
