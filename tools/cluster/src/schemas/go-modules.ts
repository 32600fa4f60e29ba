import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheDir } from '@couponkill/servers';

/**
 * The environment every Go command of the project runs with: module and build caches per user
 * (they grow to several GB), the local toolchain only, no VCS stamping.
 */
export function goEnv(): NodeJS.ProcessEnv {
  const go = cacheDir('go');
  return {
    ...process.env,
    GOPATH: go,
    GOMODCACHE: join(go, 'mod'),
    GOCACHE: join(go, 'build'),
    GOFLAGS: '-buildvcs=false -mod=mod',
    GOTOOLCHAIN: 'local',
  };
}

/**
 * The extracted source folder of `module@version`, downloaded through the Go module proxy on first
 * use and read from the module cache afterwards (so later runs are offline). Synchronous: it is
 * instant once cached, and callers use it while setting up.
 */
export function goModuleDir(module: string, version: string): string {
  const result = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
    env: goEnv(),
  });
  if (result.error !== undefined) {
    throw new Error(`cannot download the Go module ${module}@${version} (is Go installed?): ${result.error.message}`, {
      cause: result.error,
    });
  }
  const info = JSON.parse(result.stdout || '{}') as { Dir?: string; Error?: string };
  if (result.status !== 0 || info.Dir === undefined) {
    throw new Error(`cannot download the Go module ${module}@${version}: ${info.Error ?? result.stderr.trim()}`);
  }
  return info.Dir;
}
