import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { cacheDir, stateDir } from './paths.js';
import { pickPort, portFor } from './ports.js';
import { type ServerProcess, spawnServer, stopByPidFile, waitFor } from './process.js';
import type { RunningServer, StartOptions } from './types.js';

/** The account every function and test uses; root stays socket-only. */
export const MYSQL_USER = 'couponkill';
export const MYSQL_PASSWORD = 'couponkill';

const SETUP_SQL = `
CREATE USER IF NOT EXISTS '${MYSQL_USER}'@'127.0.0.1' IDENTIFIED BY '${MYSQL_PASSWORD}';
CREATE USER IF NOT EXISTS '${MYSQL_USER}'@'localhost' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO '${MYSQL_USER}'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO '${MYSQL_USER}'@'localhost';
FLUSH PRIVILEGES;`;

function serverVersion(): string {
  const result = spawnSync('mariadbd', ['--version'], { encoding: 'utf8' });
  const match = /Ver\s+(\S+)/.exec(result.stdout);
  if (result.status !== 0 || match?.[1] === undefined) {
    throw new Error('mariadbd not found: run `make deps` (it installs mariadb-server)');
  }
  return match[1];
}

function serverArgs(dataDir: string, runDir: string, port: number): string[] {
  const asRoot = userInfo().uid === 0 ? ['--user=root'] : [];
  return [
    '--no-defaults', // keep /etc/mysql out of it
    ...asRoot,
    `--datadir=${dataDir}`,
    `--socket=${join(runDir, 'mysqld.sock')}`,
    `--pid-file=${join(runDir, 'mysqld.pid')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    '--skip-log-bin',
    '--max-connections=1000',
    '--innodb-buffer-pool-size=128M',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
  ];
}

function rootSql(runDir: string, sql: string): { ok: boolean; output: string } {
  const result = spawnSync(
    'mariadb',
    ['--no-defaults', `--socket=${join(runDir, 'mysqld.sock')}`, '-uroot', '-e', sql],
    {
      encoding: 'utf8',
      timeout: 10_000,
    },
  );
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/** Unix sockets are limited to ~108 bytes; a deep clone path falls back to /tmp. */
function socketDir(preferred: string): string {
  return join(preferred, 'mysqld.sock').length < 100 ? preferred : mkdtempSync(join(tmpdir(), 'ck-mysql-'));
}

async function runMariadb(dataDir: string, runDir: string, port: number, name: string): Promise<ServerProcess> {
  const server = spawnServer({
    name,
    command: 'mariadbd',
    args: serverArgs(dataDir, runDir, port),
    logFile: join(runDir, 'mariadb.log'),
    pidFile: join(runDir, 'server.pid'),
  });
  await waitFor(async () => rootSql(runDir, 'SELECT 1').ok, { what: name, timeoutMs: 30_000, server, intervalMs: 100 });
  return server;
}

/**
 * A freshly initialised data directory with our user, built once per MariaDB version in the
 * per-user cache; each run copies it (a fraction of a second) instead of running install-db.
 */
async function pristineDataDir(log?: (line: string) => void): Promise<string> {
  const template = join(cacheDir(), `mariadb-${serverVersion()}-datadir`);
  if (existsSync(join(template, 'mysql'))) return template;
  log?.('mariadb: initialising a template data directory (one time)');
  const work = mkdtempSync(`${template}.tmp-`);
  const data = join(work, 'data');
  const asRoot = userInfo().uid === 0 ? ['--user=root'] : [];
  const init = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', ...asRoot, `--datadir=${data}`, '--auth-root-authentication-method=socket', '--skip-test-db'],
    { encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`mariadb-install-db failed:\n${init.stdout}${init.stderr}`);
  const runDir = socketDir(work);
  const server = await runMariadb(data, runDir, await pickPort(), 'mariadb-template');
  const setup = rootSql(runDir, SETUP_SQL);
  await server.stop(30_000);
  if (!setup.ok) throw new Error(`mariadb: creating the ${MYSQL_USER} user failed: ${setup.output}`);
  rmSync(template, { recursive: true, force: true });
  renameSync(data, template);
  rmSync(work, { recursive: true, force: true });
  return template;
}

/** Starts mariadbd (Debian package) on 127.0.0.1 with data under `.run/<profile>/mariadb`. */
export async function startMariadb(options: StartOptions): Promise<RunningServer<string>> {
  const dir = stateDir(options.profile, 'mariadb');
  const runDir = socketDir(dir);
  await stopByPidFile(join(runDir, 'server.pid'), 30_000);
  const dataDir = join(dir, 'data');
  if (!existsSync(join(dataDir, 'mysql'))) {
    const template = await pristineDataDir(options.log);
    rmSync(dataDir, { recursive: true, force: true });
    cpSync(template, dataDir, { recursive: true });
  }
  const port = await portFor(options.port, options.exactPort);
  const started = Date.now();
  const server = await runMariadb(dataDir, runDir, port, 'mariadb');
  options.log?.(`mariadb ready on 127.0.0.1:${port} in ${Date.now() - started} ms`);
  return {
    endpoint: `mysql://${MYSQL_USER}:${MYSQL_PASSWORD}@127.0.0.1:${port}`,
    process: server,
    startMs: Date.now() - started,
  };
}
