import { join } from 'node:path';
import {
  pickPort,
  REPO_ROOT,
  requirePort,
  type ServerProcess,
  spawnServer,
  stateDir,
  waitFor,
} from '@couponkill/servers';

export interface FunctionProcess {
  readonly name: string;
  readonly port: number;
  readonly process: ServerProcess;
}

export interface FunctionStartOptions {
  readonly profile: string;
  /** Configuration, exactly as the function's container gets it. */
  readonly env: Readonly<Record<string, string>>;
  /** Restart the process when a source file it loaded changes. */
  readonly watch?: boolean;
  readonly port?: number;
}

const TSX_CLI = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/**
 * Runs one function as its own process under the image host, with the container's environment
 * contract (PORT, FUNCTION_TARGET, FUNCTION_SOURCE, config), from its TypeScript sources.
 */
export async function startFunction(name: string, options: FunctionStartOptions): Promise<FunctionProcess> {
  // A restarted function comes back on its port: the gateway and event sources know it there.
  const port = options.port === undefined ? await pickPort() : await requirePort(options.port);
  const dir = stateDir(options.profile, 'functions');
  const server = spawnServer({
    name,
    command: process.execPath,
    args: [
      TSX_CLI,
      ...(options.watch === true ? ['watch', '--clear-screen=false'] : []),
      '--conditions=source',
      'shared/runtime/src/main.ts',
    ],
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...options.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      FUNCTION_TARGET: name,
      FUNCTION_SOURCE: `functions/${name}/src/index.ts`,
    },
    logFile: join(dir, `${name}.log`),
    pidFile: join(dir, `${name}.pid`),
  });
  await waitFor(
    async () =>
      (await fetch(`http://127.0.0.1:${port}/health/readiness`, { signal: AbortSignal.timeout(2000) })).status === 200,
    { what: `function ${name}`, timeoutMs: 60_000, server, intervalMs: 200 },
  );
  return { name, port, process: server };
}
