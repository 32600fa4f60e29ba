import { mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file lives in tools/servers/src, or compiled in tools/servers/dist/src
 * (what another package imports without the `source` condition). */
const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, basename(dirname(here)) === 'dist' ? '../../../..' : '../../..');

/** Per-user cache for downloads and builds, outside the clone so a new clone starts warm. */
export function cacheDir(...parts: string[]): string {
  const base =
    process.env['COUPONKILL_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'couponkill');
  const dir = join(base, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Server state (data, logs, pid files) of one run, inside the clone's ignored `.run/` folder. */
export function stateDir(profile: string, ...parts: string[]): string {
  const dir = join(REPO_ROOT, '.run', profile, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Removes a run's state folder (test and measurement runs leave nothing behind). */
export function removeStateDir(profile: string): void {
  rmSync(join(REPO_ROOT, '.run', profile), { recursive: true, force: true });
}
