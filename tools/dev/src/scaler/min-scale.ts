import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The local stand-in for the `autoscaling.knative.dev/min-scale` annotations: a small JSON file in
 * the run's state folder, `{ "<service>": <min instances> }`, written by whoever raises a minimum
 * (the sale operator's local adapter) and read by the lag scaler on every tick as its floor.
 */
export class MinScaleFile {
  constructor(readonly path: string) {}

  read(): Record<string, number> {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
      if (parsed === null || typeof parsed !== 'object') return {};
      return Object.fromEntries(
        Object.entries(parsed).filter((e): e is [string, number] => Number.isInteger(e[1]) && (e[1] as number) >= 0),
      );
    } catch {
      return {}; // no file yet: no minimum raised
    }
  }

  /** The minimum for `service`, or undefined when none is set. */
  get(service: string): number | undefined {
    return this.read()[service];
  }

  /** Sets (a number) or removes (undefined) one minimum; the write is atomic (rename). */
  set(service: string, min: number | undefined): void {
    const next = { ...this.read() };
    if (min === undefined) delete next[service];
    else next[service] = min;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`);
    renameSync(tmp, this.path);
  }
}
