import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { portFor } from './ports.js';
import { spawnServer, stopByPidFile, waitFor } from './process.js';
import { stateDir } from './paths.js';
import type { RunningServer, StartOptions } from './types.js';

export interface RedisOptions extends StartOptions {
  /** Keep an append-only file so data survives a restart (fault tests). */
  readonly appendOnly?: boolean;
  /** fsync of the append-only file: `always` loses no acknowledged write on a crash (fault campaign). */
  readonly appendFsync?: 'everysec' | 'always';
}

/** Starts redis-server (Debian package) on 127.0.0.1 with data under `.run/<profile>/redis`. */
export async function startRedis(options: RedisOptions): Promise<RunningServer<string>> {
  const dir = stateDir(options.profile, 'redis');
  const pidFile = join(dir, 'redis.pid');
  await stopByPidFile(pidFile); // a leftover of a killed run holds the data dir
  const port = await portFor(options.port, options.exactPort);
  const conf = join(dir, 'redis.conf');
  writeFileSync(
    conf,
    [
      `bind 127.0.0.1`,
      `protected-mode yes`,
      `port ${port}`,
      `daemonize no`,
      `dir ${dir}`,
      `save ""`,
      options.appendOnly === true
        ? `appendonly yes\nappendfsync ${options.appendFsync ?? 'everysec'}`
        : 'appendonly no',
      `enable-debug-command local`,
      `maxclients 20000`,
      `loglevel warning`,
      '',
    ].join('\n'),
  );
  const started = Date.now();
  const server = spawnServer({
    name: 'redis',
    command: 'redis-server',
    args: [conf],
    logFile: join(dir, 'redis.log'),
    pidFile,
  });
  await waitFor(async () => redisPing(port), { what: 'redis', timeoutMs: 10_000, server, intervalMs: 50 });
  options.log?.(`redis ready on 127.0.0.1:${port} in ${Date.now() - started} ms`);
  return { endpoint: `redis://127.0.0.1:${port}`, process: server, startMs: Date.now() - started };
}

function redisPing(port: number): boolean {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING'], {
    encoding: 'utf8',
    timeout: 2000,
  });
  return result.stdout.trim() === 'PONG';
}
