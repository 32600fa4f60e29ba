import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { generateSigningKey, issueAccessToken, type KeyRing, loadKeyRing, verifierFrom } from '@couponkill/auth';
import { createPool, type Pool } from '@couponkill/db';
import { consumerLag, createKafka, TOPICS } from '@couponkill/events';
import { FLOW_RULES_DATA_ID } from '@couponkill/flow';
import { createHealth } from '@couponkill/health';
import { createFunctionKit } from '@couponkill/http';
import { createLogger } from '@couponkill/logging';
import { NacosConfig } from '@couponkill/nacos';
import { OrderStore, orderShardingSchema } from '@couponkill/orders';
import { createRedis, type RedisClient, redisOptionsSchema } from '@couponkill/redis';
import { Sale } from '@couponkill/sale';
import type { Admin } from 'kafkajs';
import { DEV_NACOS_NAMESPACE } from '@couponkill/dev/clients';
import { functionEnvironments, jwksUrl, LOCAL_AUTH_ISSUER } from '@couponkill/dev/environment';
import { startFunction } from '@couponkill/dev/functions';
import { functionsOf, loadRouteTable } from '@couponkill/dev/gateway/route-table';
import { startGateway } from '@couponkill/dev/gateway/server';
import {
  type Endpoints,
  MYSQL_PASSWORD,
  MYSQL_USER,
  NACOS_PASSWORD,
  NACOS_USERNAME,
  pickPort,
  removeStateDir,
  REPO_ROOT,
  type ServerProcess,
  spawnServer,
  startKafka,
  startMariadb,
  startNacos,
  startRedis,
  stateDir,
  waitFor,
} from '@couponkill/servers';
import { type Killable, KILLABLE } from './schedule.js';
import { Toxiproxy } from './toxiproxy.js';

/** The servers the campaign can stop, freeze and restart. */
export type ServerName = 'redis' | 'mariadb' | 'kafka' | 'nacos';
/** The servers behind the fault-injecting proxy (the name of each proxy). */
export type ProxiedServer = 'redis' | 'mysql' | 'kafka';

/** A process of the runtime that can be killed and started again where it was. */
interface Restartable {
  current: ServerProcess;
  readonly start: () => Promise<ServerProcess>;
}

export interface ChaosRuntimeOptions {
  readonly profile: string;
  readonly log: (line: string) => void;
  /** Log level of the functions (their logs go to .run/<profile>/functions/). */
  readonly logLevel?: string;
}

const TSX_CLI = join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/**
 * The local runtime of `make dev` (the middleware servers, every function as a process, the
 * outbox relay, the KafkaSource and the order worker, the gateway), arranged for fault injection:
 * Redis with `appendfsync always`, a toxiproxy in front of Redis, MariaDB and Kafka (the functions
 * reach them only through it; Kafka advertises the proxy's port), and every process restartable
 * on its port and data. The campaign itself reads the books directly, past the proxy.
 */
export class ChaosRuntime {
  readonly profile: string;
  readonly #log: (line: string) => void;
  readonly #processes = new Map<string, Restartable>();
  readonly #frozen = new Set<number>();
  readonly #closers: Array<() => Promise<void>> = [];
  /** Where the middleware listens (for the campaign's own reads). */
  direct!: Endpoints;
  /** What the functions are given: the proxy in front of each server. */
  proxied!: Endpoints;
  toxiproxy!: Toxiproxy;
  gatewayUrl!: string;
  auditUrl!: string;
  readonly jobToken = randomBytes(24).toString('base64url');
  #keys!: KeyRing;
  redis!: RedisClient;
  sale!: Sale;
  mysql!: Pool;
  orders!: OrderStore;
  nacos!: NacosConfig;
  kafkaAdmin!: Admin;
  #gateway: Server | undefined;

  private constructor(options: ChaosRuntimeOptions) {
    this.profile = options.profile;
    this.#log = options.log;
  }

  static async start(options: ChaosRuntimeOptions): Promise<ChaosRuntime> {
    const runtime = new ChaosRuntime(options);
    try {
      await runtime.#start(options.logLevel ?? 'warn');
      return runtime;
    } catch (err) {
      await runtime.stop();
      throw err;
    }
  }

  async #start(logLevel: string): Promise<void> {
    const log = this.#log;
    const profile = this.profile;
    this.toxiproxy = await Toxiproxy.start(profile);
    this.#closers.push(() => this.toxiproxy.stop());
    const ports = {
      redis: await pickPort(),
      mysql: await pickPort(),
      kafka: await pickPort(),
      nacos: await pickPort(),
      nacosGrpc: await pickPort(),
    };
    // The proxies exist before the servers: Kafka tells its clients to come back through its proxy.
    const proxy = {
      redis: await this.toxiproxy.proxy('redis', ports.redis),
      mysql: await this.toxiproxy.proxy('mysql', ports.mysql),
      kafka: await this.toxiproxy.proxy('kafka', ports.kafka),
    };
    const exact = { profile, exactPort: true as const };
    const starters: Record<ServerName, () => Promise<ServerProcess>> = {
      redis: async () =>
        required(await startRedis({ ...exact, port: ports.redis, appendOnly: true, appendFsync: 'always', log })),
      mariadb: async () => required(await startMariadb({ ...exact, port: ports.mysql, log })),
      kafka: async () =>
        required(await startKafka({ ...exact, port: ports.kafka, advertisedPort: proxy.kafka, heapMb: 384, log })),
      nacos: async () => required(await startNacos({ ...exact, port: ports.nacos, grpcPort: ports.nacosGrpc, log })),
    };
    log('starting Redis (AOF, appendfsync always), MariaDB, Kafka and Nacos behind toxiproxy…');
    const started = await Promise.allSettled(
      (Object.keys(starters) as ServerName[]).map(async (name) => {
        this.#processes.set(name, { current: await starters[name](), start: starters[name] });
      }),
    );
    const failed = started.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;

    const mysqlUrl = (port: number) => `mysql://${MYSQL_USER}:${MYSQL_PASSWORD}@127.0.0.1:${port}`;
    const nacos = { serverAddr: `127.0.0.1:${ports.nacos}`, username: NACOS_USERNAME, password: NACOS_PASSWORD };
    this.direct = {
      redisUrl: `redis://127.0.0.1:${ports.redis}`,
      mysqlUrl: mysqlUrl(ports.mysql),
      kafkaBrokers: [`127.0.0.1:${ports.kafka}`],
      nacos,
    };
    this.proxied = {
      redisUrl: `redis://127.0.0.1:${proxy.redis}`,
      mysqlUrl: mysqlUrl(proxy.mysql),
      kafkaBrokers: [`127.0.0.1:${proxy.kafka}`],
      nacos,
    };

    this.redis = createRedis(redisOptionsSchema.parse({ url: this.direct.redisUrl }), 'chaos-books');
    this.sale = new Sale(this.redis);
    this.mysql = createPool({ url: this.direct.mysqlUrl, connectionLimit: 2 });
    this.orders = OrderStore.open(this.direct.mysqlUrl, orderShardingSchema.parse({}), 2);
    this.nacos = await NacosConfig.connect({ ...nacos, namespace: DEV_NACOS_NAMESPACE });
    this.#closers.push(async () => {
      this.nacos.close();
      await this.orders.close();
      await this.mysql.end();
      this.redis.disconnect();
    });
    await this.nacos.publish(FLOW_RULES_DATA_ID, defaultFlowRules());

    const signingKey = await generateSigningKey('chaos-1', true);
    this.#keys = await loadKeyRing([signingKey]);
    const envOf = functionEnvironments({
      endpoints: this.proxied,
      signingKeys: JSON.stringify([signingKey]),
      jobToken: this.jobToken,
      nacosNamespace: DEV_NACOS_NAMESPACE,
      logLevel,
    });
    const upstreams = new Map<string, number>();
    const startFn = async (name: string, env: () => Record<string, string>) => {
      const port = upstreams.get(name);
      const fn = await startFunction(name, { profile, env: env(), ...(port === undefined ? {} : { port }) });
      upstreams.set(name, fn.port);
      return fn.process;
    };
    const addFunction = async (name: string, env: () => Record<string, string>) => {
      this.#processes.set(name, { current: await startFn(name, env), start: () => startFn(name, env) });
    };
    const table = loadRouteTable();
    const envFor = (name: string) => {
      const env = envOf[name];
      if (env === undefined) throw new Error(`no environment for function ${name}`);
      return () => env(upstreams);
    };
    // The functions that migrate their databases start one by one; the others side by side.
    log('starting the functions…');
    for (const name of ['user-auth', 'create-order', 'coupon-admin']) await addFunction(name, envFor(name));
    const rest = [...functionsOf(table), 'outbox-relay'].filter((n) => !this.#processes.has(n));
    await Promise.all(rest.map((name) => addFunction(name, envFor(name))));
    await addFunction('audit', () => ({
      MYSQL_URL: this.proxied.mysqlUrl,
      REDIS_URL: this.proxied.redisUrl,
      KAFKA_BROKERS: this.proxied.kafkaBrokers.join(','),
      JOB_TOKEN: this.jobToken,
      LOG_LEVEL: logLevel,
    }));
    this.auditUrl = `http://127.0.0.1:${upstreams.get('audit')}`;

    const sinkUrl = `http://127.0.0.1:${upstreams.get('create-order')}/`;
    const startSource = async () => {
      const dir = stateDir(profile, 'functions');
      const readyFile = join(dir, 'kafkasource.ready');
      rmSync(readyFile, { force: true });
      const server = spawnServer({
        name: 'kafkasource',
        command: process.execPath,
        args: [TSX_CLI, '--conditions=source', 'tools/bench/src/chaos/kafkasource-process.ts'],
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          KAFKA_BROKERS: this.proxied.kafkaBrokers.join(','),
          SINK_URL: sinkUrl,
          REDIS_URL: this.proxied.redisUrl,
          READY_FILE: readyFile,
          LOG_LEVEL: logLevel,
        },
        logFile: join(dir, 'kafkasource.log'),
        pidFile: join(dir, 'kafkasource.pid'),
      });
      await waitFor(async () => existsSync(readyFile), { what: 'kafkasource', timeoutMs: 60_000, server });
      return server;
    };
    this.#processes.set('kafkasource', { current: await startSource(), start: startSource });

    this.kafkaAdmin = createKafka({ brokers: this.proxied.kafkaBrokers, clientId: 'chaos-books' }).admin();
    await this.kafkaAdmin.connect();
    this.#closers.push(() => this.kafkaAdmin.disconnect());

    const gatewayPort = await pickPort();
    this.gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    this.#gateway = await startGateway({
      port: gatewayPort,
      kit: createFunctionKit('chaos-gateway', {
        logger: createLogger({ name: 'chaos-gateway', level: 'warn' }),
        health: createHealth({ timeoutMs: 1500, cacheMs: 1000 }),
      }),
      upstreams,
      table,
      verify: verifierFrom({ issuer: LOCAL_AUTH_ISSUER, audience: 'couponkill', jwksUrl: jwksUrl(upstreams) }),
      routes: [],
    });
    log(`runtime ready: gateway ${this.gatewayUrl}, logs in ${stateDir(profile)}`);
  }

  /** SIGKILL of a process and its group (a crash: no shutdown hook runs). Resolves once it is gone. */
  async kill(name: Killable | ServerName): Promise<number> {
    const entry = this.#entry(name);
    const pid = entry.current.pid;
    this.#signal(pid, 'SIGKILL');
    this.#frozen.delete(pid);
    await entry.current.exited;
    return pid;
  }

  /** Starts a killed process again, on its port and data. */
  async restart(name: Killable | ServerName): Promise<void> {
    const entry = this.#entry(name);
    entry.current = await entry.start();
  }

  /** SIGSTOP (freeze) or SIGCONT (thaw) a server's whole process group. */
  freeze(name: ServerName, frozen: boolean): void {
    const pid = this.#entry(name).current.pid;
    this.#signal(pid, frozen ? 'SIGSTOP' : 'SIGCONT');
    if (frozen) this.#frozen.add(pid);
    else this.#frozen.delete(pid);
  }

  /** Processes that died on their own (not by a fault): started again, and named. */
  async reviveDead(): Promise<string[]> {
    const revived: string[] = [];
    for (const [name, entry] of this.#processes) {
      if (entry.current.alive()) continue;
      entry.current = await entry.start();
      revived.push(name);
    }
    return revived;
  }

  pidOf(name: Killable | ServerName): number {
    return this.#entry(name).current.pid;
  }

  async consumerLag(): Promise<number> {
    return (await consumerLag(this.kafkaAdmin, 'create-order', TOPICS.grabAccepted)).total;
  }

  userToken(userId: string): Promise<string> {
    return this.#token(userId, ['user']);
  }

  adminToken(): Promise<string> {
    return this.#token('chaos-admin', ['admin']);
  }

  async #token(userId: string, roles: Array<'user' | 'admin'>): Promise<string> {
    const issued = await issueAccessToken(
      this.#keys,
      { userId, roles },
      { issuer: LOCAL_AUTH_ISSUER, audience: 'couponkill', ttlSeconds: 6 * 3600 },
    );
    return issued.token;
  }

  #entry(name: string): Restartable {
    const entry = this.#processes.get(name);
    if (entry === undefined) throw new Error(`no process ${name} in the runtime`);
    return entry;
  }

  #signal(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** Stops everything (thawing frozen servers first); safe to call twice and after a failed start. */
  async stop(options: { keepState?: boolean } = {}): Promise<void> {
    for (const pid of this.#frozen) this.#signal(pid, 'SIGCONT');
    this.#frozen.clear();
    await new Promise<void>((resolve) =>
      this.#gateway === undefined ? resolve() : this.#gateway.close(() => resolve()),
    );
    this.#gateway = undefined;
    for (const close of this.#closers.splice(1).reverse()) await close().catch(() => undefined);
    const functions = [...this.#processes].filter(([name]) => (KILLABLE as readonly string[]).includes(name));
    await Promise.all(functions.map(([, entry]) => entry.current.stop(5000)));
    const servers = [...this.#processes].filter(([name]) => !(KILLABLE as readonly string[]).includes(name));
    await Promise.all(servers.map(([, entry]) => entry.current.stop(20_000)));
    this.#processes.clear();
    for (const close of this.#closers.splice(0)) await close().catch(() => undefined);
    if (options.keepState !== true) removeStateDir(this.profile);
  }
}

function required(server: { process?: ServerProcess }): ServerProcess {
  if (server.process === undefined) throw new Error('a server of the runtime was not started by it');
  return server.process;
}

/** The repository's flow rules, as make dev publishes them. */
export function defaultFlowRules(): string {
  return readFileSync(join(REPO_ROOT, 'config', 'flow-rules.yaml'), 'utf8');
}
