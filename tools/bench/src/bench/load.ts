import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pickPort, type ServerProcess, spawnServer, stateDir, waitFor } from '@couponkill/servers';
import { cpuMicrosPerRequest, type MachineCpu, parseMachineStat, parseProcStat, type ProcCpu } from './stats.js';

/** Which cores the server under test and the load generator run on (`taskset -c`); none when unpinned. */
export interface Pinning {
  readonly server?: string;
  readonly loadgen?: string;
}

/**
 * The server on core 1 and the load generator on core 0 when `taskset` exists and the machine has
 * two cores or more; Redis, MariaDB and the orchestrator stay unpinned.
 */
export function choosePinning(cores: number): Pinning {
  if (cores < 2) return {};
  const found = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  return found.status === 0 ? { server: '1', loadgen: '0' } : {};
}

const pinned = (cpus: string | undefined, command: string, args: readonly string[]): [string, string[]] =>
  cpus === undefined ? [command, [...args]] : ['taskset', ['-c', cpus, command, ...args]];

const LOADGEN = join(import.meta.dirname, 'loadgen.ts');

export interface LoadJob {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  /** Open loop: this many requests per second over all connections. */
  readonly overallRate?: number;
  /** POST here with a different user's token on every request; GET / when absent. */
  readonly path?: string;
  readonly tokensFile?: string;
}

export interface LoadResult {
  readonly connections: number;
  readonly overallRate?: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly responses: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
  /** The server's utime + stime over the measured run, per response (/proc/<pid>/stat). */
  readonly serverCpuMicrosPerRequest: number;
  /** The cores the server and the load generator were allowed to run on (/proc/<pid>/status). */
  readonly serverCores: string;
  readonly loadgenCores: string;
  /** The server's and the load generator's CPU over the measured run, as a share of one core. */
  readonly serverCpuShare: number;
  readonly loadgenCpuShare: number;
}

let ticksPerSecond: number | undefined;
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout?.trim());
    ticksPerSecond = out.status === 0 && Number.isInteger(n) && n > 0 ? n : 100;
  }
  return ticksPerSecond;
}

/** The cores a process may run on (`Cpus_allowed_list` of /proc/<pid>/status), `?` when unknown. */
export function allowedCores(pid: number): string {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** utime + stime of a /proc reading, in seconds. */
export function cpuSeconds(cpu: ProcCpu): number {
  return (cpu.utimeTicks + cpu.stimeTicks) / clockTicks();
}

export function readProcCpu(pid: number): ProcCpu {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export function readMachineCpu(): MachineCpu {
  return parseMachineStat(readFileSync('/proc/stat', 'utf8'));
}

interface Done extends Omit<
  LoadResult,
  'serverCpuMicrosPerRequest' | 'serverCpuShare' | 'connections' | 'serverCores' | 'loadgenCores'
> {
  readonly phase: 'done';
  readonly loadgenCpuSeconds: number;
}

/**
 * One run against the server with PID `serverPid`: the load generator (loadgen.ts) in a process of
 * its own on `pin.loadgen`; the server's CPU is read from /proc around the measured part only.
 */
export function measure(serverPid: number, job: LoadJob, pin: Pinning): Promise<LoadResult> {
  const [command, args] = pinned(pin.loadgen, process.execPath, [LOADGEN, JSON.stringify(job)]);
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let before: ProcCpu | undefined;
    let startedAt = 0;
    let loadgenCores = '?';
    let done: LoadResult | undefined;
    child.on('message', (message: { phase?: string }) => {
      if (message.phase === 'measuring') {
        before = readProcCpu(serverPid);
        startedAt = performance.now();
        if (child.pid !== undefined) loadgenCores = allowedCores(child.pid);
      } else if (message.phase === 'done' && before !== undefined) {
        const after = readProcCpu(serverPid);
        const wallSeconds = (performance.now() - startedAt) / 1000;
        const { phase: _phase, loadgenCpuSeconds, ...result } = message as Done;
        const ticks = after.utimeTicks + after.stimeTicks - before.utimeTicks - before.stimeTicks;
        done = {
          ...result,
          connections: job.connections,
          ...(job.overallRate === undefined ? {} : { overallRate: job.overallRate }),
          serverCpuMicrosPerRequest: cpuMicrosPerRequest(before, after, result.responses, clockTicks()),
          serverCpuShare: ticks / clockTicks() / wallSeconds,
          serverCores: allowedCores(serverPid),
          loadgenCores,
          loadgenCpuShare: loadgenCpuSeconds / wallSeconds,
        };
      }
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      done !== undefined && code === 0 ? resolve(done) : reject(new Error(`load generator exited ${String(code)}`)),
    );
  });
}

const SALE_LOADGEN = join(import.meta.dirname, 'sale-loadgen.ts');

/** A whole sale for sale-loadgen.ts: every press once, in order, `connections` at a time. */
export interface SaleLoadJob {
  readonly url: string;
  readonly path: string;
  readonly connections: number;
  /** JSON: the Authorization header of each user. */
  readonly usersFile: string;
  /** JSON: the user (index into the users) of each press, in send order. */
  readonly pressesFile: string;
  readonly timeoutSeconds: number;
  readonly progressMs: number;
  /** The status whose JSON body carries a `grabId` to collect (202 for the real grab). */
  readonly grabIdStatus?: number;
}

export interface SaleLoadProgress {
  readonly phase: 'progress';
  readonly answered: number;
  readonly statuses: Record<string, number>;
}

export interface SaleLoadResult {
  readonly presses: number;
  readonly answered: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  /** Epoch ms (performance.timeOrigin + now) of the first request and of the last answer. */
  readonly startedAtMs: number;
  readonly lastAnswerAtMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The grab ids of the answers with `grabIdStatus`. */
  readonly grabIds: string[];
  /** The load generator's CPU over the sale, as a share of one core. */
  readonly loadgenCpuShare: number;
  /** The cores the load generator was allowed to run on. */
  readonly loadgenCores: string;
}

/** Runs a whole sale from sale-loadgen.ts, a process of its own on `pin.loadgen`. */
export function fireSale(
  job: SaleLoadJob,
  pin: Pinning,
  onProgress: (progress: SaleLoadProgress) => void,
): Promise<SaleLoadResult> {
  const [command, args] = pinned(pin.loadgen, process.execPath, [SALE_LOADGEN, JSON.stringify(job)]);
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let done: SaleLoadResult | undefined;
    let loadgenCores = '?';
    child.on('message', (message: SaleLoadProgress | (Omit<SaleLoadResult, 'loadgenCores'> & { phase: 'done' })) => {
      // Read once it runs its own code: taskset has set the affinity by then.
      if (loadgenCores === '?' && child.pid !== undefined) loadgenCores = allowedCores(child.pid);
      if (message.phase === 'progress') onProgress(message);
      else {
        const { phase: _phase, ...result } = message;
        done = { ...result, loadgenCores };
      }
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      done !== undefined && code === 0
        ? resolve(done)
        : reject(new Error(`sale load generator exited ${String(code)}`)),
    );
  });
}

export interface NodeProcess {
  readonly url: string;
  readonly process: ServerProcess;
  /** From spawn until `readyPath` first answered 200. */
  readonly readyMs: number;
}

/**
 * Starts `node [nodeArgs] <args>` as a server process of its own (PORT in its environment), on
 * the cores `cpus` when given, and waits until `readyPath` answers 200 (polled every 5 ms).
 */
export async function startNode(options: {
  readonly profile: string;
  readonly name: string;
  readonly args: readonly string[];
  readonly nodeArgs?: readonly string[];
  readonly cpus?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly readyPath: string;
  readonly cwd: string;
}): Promise<NodeProcess> {
  const port = await pickPort();
  const dir = stateDir(options.profile, 'bench');
  const [command, args] = pinned(options.cpus, process.execPath, [...(options.nodeArgs ?? []), ...options.args]);
  const started = performance.now();
  const server = spawnServer({
    name: options.name,
    command,
    args,
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    logFile: join(dir, `${options.name}.log`),
    pidFile: join(dir, `${options.name}.pid`),
  });
  const url = `http://127.0.0.1:${port}`;
  let readyMs = 0;
  try {
    await waitFor(
      async () => {
        const ok = (await fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(2000) })).status === 200;
        if (ok) readyMs = performance.now() - started;
        return ok;
      },
      { what: options.name, timeoutMs: 60_000, server, intervalMs: 5 },
    );
  } catch (err) {
    await server.stop(5000);
    throw err;
  }
  return { url, process: server, readyMs };
}
