import { cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NacosConfig } from '@couponkill/nacos';
import { cacheDir, stateDir } from './paths.js';
import { pickPort, portFor } from './ports.js';
import { runInstallStep } from './install.js';
import { type ServerProcess, spawnServer, stopByPidFile, waitFor } from './process.js';
import type { NacosEndpoint, RunningServer, StartOptions } from './types.js';
import { RNACOS_VERSION } from './versions.js';

export const NACOS_USERNAME = 'couponkill';
export const NACOS_PASSWORD = 'couponkill-local';

/** The rnacos binary, built once with cargo into the per-user cache (the cold build takes minutes). */
export async function ensureRnacos(log: (line: string) => void): Promise<string> {
  const root = cacheDir(`rnacos-${RNACOS_VERSION}`);
  const binary = join(root, 'bin', 'rnacos');
  if (existsSync(binary)) return binary;
  log(`nacos: building rnacos ${RNACOS_VERSION} with cargo (one time; ~15-20 min on 2 cores)`);
  await runInstallStep(
    'nacos',
    'cargo',
    [
      'install',
      'rnacos',
      '--version',
      RNACOS_VERSION,
      '--locked',
      '--root',
      root,
      '--target-dir',
      cacheDir('cargo-target'),
    ],
    { log, showOutput: (line) => /^\s*(Compiling|Finished|Installing|Installed)/.test(line) },
  );
  rmSync(cacheDir('cargo-target'), { recursive: true, force: true });
  return binary;
}

export interface NacosServerOptions extends StartOptions {
  /** Serve the web console on a port of its own (dev); off in tests. */
  readonly console?: boolean;
  /** Lifetime of API access tokens (rnacos default 3600 s); tests shorten it to prove renewal. */
  readonly tokenTtlSeconds?: number;
  /** The gRPC port (default: the HTTP port + 1000 when free); with `exactPort` taken exactly too. */
  readonly grpcPort?: number;
}

interface Ports {
  readonly http: number;
  readonly grpc: number;
  readonly console: number;
}

function writeEnvFile(file: string, dataDir: string, ports: Ports, tokenTtlSeconds = 3600): void {
  writeFileSync(
    file,
    [
      'RNACOS_SDK_HOST=127.0.0.1', // default 0.0.0.0
      'RNACOS_CONSOLE_HOST=127.0.0.1',
      `RNACOS_HTTP_PORT=${ports.http}`,
      `RNACOS_GRPC_PORT=${ports.grpc}`,
      `RNACOS_HTTP_CONSOLE_PORT=${ports.console}`,
      `RNACOS_RAFT_NODE_ADDR=127.0.0.1:${ports.grpc}`,
      `RNACOS_DATA_DIR=${dataDir}`,
      'RNACOS_ENABLE_OPEN_API_AUTH=true',
      `RNACOS_INIT_ADMIN_USERNAME=${NACOS_USERNAME}`,
      `RNACOS_INIT_ADMIN_PASSWORD=${NACOS_PASSWORD}`,
      `RNACOS_API_LOGIN_TIMEOUT=${tokenTtlSeconds}`,
      '',
    ].join('\n'),
  );
}

/** Starts rnacos from its own folder (it reads a `.env` from its working directory). */
function runRnacos(
  binary: string,
  dir: string,
  dataDir: string,
  ports: Ports,
  tokenTtlSeconds?: number,
): ServerProcess {
  const envFile = join(dir, 'rnacos.env');
  writeEnvFile(envFile, dataDir, ports, tokenTtlSeconds);
  return spawnServer({
    name: 'nacos',
    command: binary,
    args: ['-e', envFile],
    cwd: dir,
    logFile: join(dir, 'rnacos.log'),
    pidFile: join(dir, 'rnacos.pid'),
  });
}

/**
 * A data directory whose single-node raft group and admin user are already initialised, made
 * once per rnacos version in the per-user cache. The first start on an empty directory races
 * its own raft initialisation (a panic in raftapply.rs, then readiness answers while every write
 * fails); that happens here, with retries, instead of in every run. Copies start cleanly.
 */
async function pristineDataDir(binary: string, log: (line: string) => void): Promise<string> {
  const template = join(cacheDir(), `rnacos-${RNACOS_VERSION}-data`);
  if (existsSync(template)) return template;
  log('nacos: initialising a template data directory (one time)');
  for (let attempt = 1; attempt <= 5; attempt++) {
    const work = mkdtempSync(`${template}.tmp-`);
    const ports = { http: await pickPort(), grpc: await pickPort(), console: 0 };
    const server = runRnacos(binary, work, join(work, 'data'), ports);
    try {
      await provenWritable(
        { serverAddr: `127.0.0.1:${ports.http}`, username: NACOS_USERNAME, password: NACOS_PASSWORD },
        server,
      );
      await server.stop();
      renameSync(join(work, 'data'), template);
      return template;
    } catch (err) {
      log(`nacos: template attempt ${attempt} failed (${(err as Error).message.split('\n')[0]})`);
      await server.stop();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  throw new Error('nacos: could not initialise rnacos data after 5 attempts');
}

/**
 * Starts rnacos with open-API auth on, bound to 127.0.0.1, and proves a write round-trips
 * (readiness alone is not trusted); on failure the data is replaced and it starts once more.
 */
export async function startNacos(
  options: NacosServerOptions,
): Promise<RunningServer<NacosEndpoint> & { consoleUrl?: string }> {
  const log = options.log ?? (() => {});
  const binary = await ensureRnacos(log);
  const template = await pristineDataDir(binary, log);
  const dir = stateDir(options.profile, 'nacos');
  await stopByPidFile(join(dir, 'rnacos.pid'));
  const dataDir = join(dir, 'data');
  const freshData = () => {
    rmSync(dataDir, { recursive: true, force: true });
    cpSync(template, dataDir, { recursive: true });
  };
  if (!existsSync(dataDir)) freshData();
  const ports: Ports = {
    http: await portFor(options.port, options.exactPort),
    grpc: await portFor(
      options.grpcPort ?? (options.port === undefined ? undefined : options.port + 1000),
      options.exactPort,
    ),
    console:
      options.console === true ? await pickPort(options.port === undefined ? undefined : options.port + 2000) : 0,
  };
  const endpoint: NacosEndpoint = {
    serverAddr: `127.0.0.1:${ports.http}`,
    username: NACOS_USERNAME,
    password: NACOS_PASSWORD,
  };
  const started = Date.now();
  let server = runRnacos(binary, dir, dataDir, ports, options.tokenTtlSeconds);
  try {
    await provenWritable(endpoint, server);
  } catch (err) {
    log(
      `nacos: write probe failed (${(err as Error).message.split('\n')[0]}); replacing its data and starting once more`,
    );
    await server.stop();
    freshData();
    server = runRnacos(binary, dir, dataDir, ports, options.tokenTtlSeconds);
    await provenWritable(endpoint, server);
  }
  log(`nacos ready on ${endpoint.serverAddr} in ${Date.now() - started} ms (auth on, write probe passed)`);
  return {
    endpoint,
    process: server,
    startMs: Date.now() - started,
    ...(ports.console === 0 ? {} : { consoleUrl: `http://127.0.0.1:${ports.console}/rnacos/` }),
  };
}

async function provenWritable(endpoint: NacosEndpoint, server: ServerProcess): Promise<void> {
  await waitFor(
    async () => {
      // With open-API auth on, readiness answers 403 without a token: any answer means it listens.
      const response = await fetch(`http://${endpoint.serverAddr}/nacos/v1/console/health/readiness`, {
        signal: AbortSignal.timeout(1000),
      });
      return response.status < 500;
    },
    { what: 'nacos readiness', timeoutMs: 15_000, server, intervalMs: 100 },
  );
  // Logins right after start answer "unknown user" until the admin user is written.
  await waitFor(
    async () => {
      const client = await NacosConfig.connect({ ...endpoint, requestTimeoutMs: 2000 });
      try {
        await client.verifyWritable();
        return true;
      } finally {
        client.close();
      }
    },
    { what: 'nacos write probe', timeoutMs: 15_000, server, intervalMs: 250 },
  );
}
