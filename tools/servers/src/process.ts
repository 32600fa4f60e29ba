import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** TERM, wait up to `graceMs`, then KILL. Resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  alive(): boolean;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | string>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly pidFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

const hasSetpriv = spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;

/**
 * Starts a server in its own session (so a terminal's Ctrl-C reaches us, not it, and we stop
 * servers in order) and with a parent-death signal, so it is terminated even if this process
 * is killed with SIGKILL: no orphan survives a crashed test run.
 */
export function spawnServer(options: SpawnOptions): ServerProcess {
  const out = openSync(options.logFile, 'a');
  const [command, args] = hasSetpriv
    ? ['setpriv', ['--pdeathsig', 'TERM', '--', options.command, ...options.args]]
    : [options.command, [...options.args]];
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  if (child.pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
  const pid = child.pid;
  writeFileSync(options.pidFile, `${pid}\n`);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      rmSync(options.pidFile, { force: true });
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    alive: () => running,
    async stop(graceMs = 10_000) {
      if (!running) return;
      signal(-pid, 'SIGTERM'); // the whole process group: a server's own children go too
      const grace = new AbortController();
      const timedOut = await Promise.race([
        exited.then(() => false),
        sleep(graceMs, true, { signal: grace.signal }).catch(() => false),
      ]);
      grace.abort(); // no timer may keep the test runner alive
      if (timedOut) {
        signal(-pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a server we did not start ourselves (e.g. a leftover from an earlier run) by its PID file. */
export async function stopByPidFile(pidFile: string, graceMs = 10_000): Promise<boolean> {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || !pidAlive(pid)) {
    rmSync(pidFile, { force: true });
    return false;
  }
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < deadline) await sleep(100);
  if (pidAlive(pid)) signal(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  return true;
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface WaitOptions {
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Gives up early, with the log, when the server died while we waited. */
  readonly server?: ServerProcess;
}

/** Polls `probe` until it resolves truthy, bounded by `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (options.server !== undefined && !options.server.alive()) {
      throw new Error(`${options.what}: the server exited while starting; log:\n${logTail(options.server.logFile)}`);
    }
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      const log = options.server === undefined ? '' : `\nlog:\n${logTail(options.server.logFile)}`;
      throw new Error(`${options.what} not ready after ${options.timeoutMs} ms${reason}${log}`);
    }
    await sleep(options.intervalMs ?? 100);
  }
}
