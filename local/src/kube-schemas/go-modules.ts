import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from '../infra/paths.js';

const run = promisify(execFile);

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
 * use and read from the module cache afterwards (so later runs are offline).
 */
export async function goModuleDir(module: string, version: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
      env: goEnv(),
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (err) {
    const detail = (err as { stdout?: string; code?: string }).code === 'ENOENT' ? 'go is not installed' : String(err);
    throw new Error(`cannot download the Go module ${module}@${version}: ${detail}`, { cause: err });
  }
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (info.Error !== undefined || info.Dir === undefined) {
    throw new Error(`cannot download the Go module ${module}@${version}: ${info.Error ?? 'no Dir in the answer'}`);
  }
  return info.Dir;
}
