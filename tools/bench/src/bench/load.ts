import { join } from 'node:path';
import autocannon from 'autocannon';
import { pickPort, type ServerProcess, spawnServer, stateDir, waitFor } from '@couponkill/servers';

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  /** Per-request setup (method, path, headers); a plain GET / when absent. */
  readonly requests?: autocannon.Request[];
}

export interface LoadResult {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
}

function run(options: LoadOptions, durationSeconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: durationSeconds,
        timeout: 10,
        ...(options.requests === undefined ? {} : { requests: options.requests }),
      },
      (err: unknown, result) =>
        err
          ? reject(err instanceof Error ? err : new Error(`autocannon failed: ${JSON.stringify(err)}`))
          : resolve(result),
    );
  });
}

/** A warm-up run (discarded), then the measured run, with the same connections. */
export async function measure(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await run(options, options.warmupSeconds);
  const result = await run(options, options.durationSeconds);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  return {
    connections: options.connections,
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

export interface NodeProcess {
  readonly url: string;
  readonly process: ServerProcess;
}

/**
 * Starts `node <args>` as a server process of its own (PORT in its environment) and waits until
 * `readyPath` answers 200.
 */
export async function startNode(options: {
  readonly profile: string;
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly readyPath: string;
  readonly cwd: string;
}): Promise<NodeProcess> {
  const port = await pickPort();
  const dir = stateDir(options.profile, 'bench');
  const server = spawnServer({
    name: options.name,
    command: process.execPath,
    args: options.args,
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    logFile: join(dir, `${options.name}.log`),
    pidFile: join(dir, `${options.name}.pid`),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => (await fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(2000) })).status === 200,
      { what: options.name, timeoutMs: 60_000, server, intervalMs: 200 },
    );
  } catch (err) {
    await server.stop(5000);
    throw err;
  }
  return { url, process: server };
}
