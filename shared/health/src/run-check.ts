import { safeErrorMessage } from './safe-error.js';

export type Check = () => Promise<unknown>;

export interface CheckResult {
  readonly ok: boolean;
  /** Wall time the check took (or the timeout), in whole milliseconds. */
  readonly ms: number;
  /** Present when `ok` is false; short and safe to show (see `safeErrorMessage`). */
  readonly error?: string;
}

/**
 * Runs one check bounded by `timeoutMs`. A check that hangs keeps running in the background (we
 * cannot cancel it), but its late outcome is swallowed so it can never become an unhandled rejection.
 */
export async function runCheck(check: Check, timeoutMs: number, now: () => number): Promise<CheckResult> {
  const started = now();
  const elapsed = (): number => Math.round(now() - started);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  // `async` turns a check that throws synchronously into a rejection like any other.
  const attempt = (async () => check())();
  attempt.catch(() => undefined);
  try {
    const outcome = await Promise.race([attempt.then(() => 'done' as const), timeout]);
    if (outcome === 'timeout') return { ok: false, ms: elapsed(), error: `timeout after ${timeoutMs}ms` };
    return { ok: true, ms: elapsed() };
  } catch (err) {
    return { ok: false, ms: elapsed(), error: safeErrorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}
