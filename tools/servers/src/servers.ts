import { readFileSync } from 'node:fs';
import { startKafka } from './kafka.js';
import { startMariadb } from './mariadb.js';
import { startNacos } from './rnacos.js';
import { startRedis } from './redis.js';
import type { Endpoints, NacosEndpoint, RunningServer } from './types.js';

export interface LocalServersOptions {
  readonly profile: string;
  /** Preferred ports (dev); tests take whatever is free. */
  readonly ports?: { redis?: number; mysql?: number; kafka?: number; nacos?: number };
  readonly nacosConsole?: boolean;
  readonly redisAppendOnly?: boolean;
  readonly log?: (line: string) => void;
  /** Endpoints given here (e.g. from env) are used as they are and not started. */
  readonly given?: Partial<Endpoints>;
}

export interface ServerReport {
  readonly name: string;
  readonly endpoint: string;
  readonly startMs?: number;
  readonly pid?: number;
  readonly rssMb?: number;
  readonly given: boolean;
}

export interface LocalServers {
  readonly endpoints: Endpoints;
  readonly nacosConsoleUrl?: string;
  report(): ServerReport[];
  /** Stops every server this object started, all at once; safe to call twice. */
  stop(): Promise<void>;
}

/** Endpoints a caller provided through the environment, so tests can reuse running servers. */
export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Endpoints> {
  const nacos: NacosEndpoint | undefined =
    env['NACOS_SERVER_ADDR'] === undefined
      ? undefined
      : {
          serverAddr: env['NACOS_SERVER_ADDR'],
          username: env['NACOS_USERNAME'] ?? '',
          password: env['NACOS_PASSWORD'] ?? '',
        };
  return {
    ...(env['REDIS_URL'] === undefined ? {} : { redisUrl: env['REDIS_URL'] }),
    ...(env['MYSQL_URL'] === undefined ? {} : { mysqlUrl: env['MYSQL_URL'] }),
    ...(env['KAFKA_BROKERS'] === undefined ? {} : { kafkaBrokers: env['KAFKA_BROKERS'].split(',') }),
    ...(nacos === undefined ? {} : { nacos }),
  };
}

export function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) / 1024);
  } catch {
    return undefined;
  }
}

/**
 * Starts Redis, MariaDB, Kafka and Nacos side by side (the slow JVM start overlaps the others).
 * If any fails, the ones that started are stopped before the error is rethrown.
 */
export async function startLocalServers(options: LocalServersOptions): Promise<LocalServers> {
  const given = options.given ?? {};
  const base = { profile: options.profile, ...(options.log === undefined ? {} : { log: options.log }) };
  const port = (p: number | undefined) => (p === undefined ? {} : { port: p });
  const started: Array<{ name: string; server: RunningServer<unknown> }> = [];
  /** The given endpoint, or the one of a server started (and remembered for stop) now. */
  const endpointOf = async <E>(name: string, givenEndpoint: E | undefined, start: () => Promise<RunningServer<E>>) => {
    if (givenEndpoint !== undefined) return givenEndpoint;
    const server = await start();
    started.push({ name, server });
    return server.endpoint;
  };
  let nacosConsoleUrl: string | undefined;
  const stop = async () => {
    await Promise.all(started.splice(0).map(({ server }) => server.process?.stop(20_000) ?? Promise.resolve()));
  };

  const results = await Promise.allSettled([
    endpointOf('redis', given.redisUrl, () =>
      startRedis({
        ...base,
        ...port(options.ports?.redis),
        appendOnly: options.redisAppendOnly ?? false,
        appendFsync: 'always',
      }),
    ),
    endpointOf('mariadb', given.mysqlUrl, () => startMariadb({ ...base, ...port(options.ports?.mysql) })),
    endpointOf('kafka', given.kafkaBrokers, () => startKafka({ ...base, ...port(options.ports?.kafka) })),
    endpointOf('nacos', given.nacos, async () => {
      const server = await startNacos({
        ...base,
        ...port(options.ports?.nacos),
        console: options.nacosConsole ?? false,
      });
      nacosConsoleUrl = server.consoleUrl;
      return server;
    }),
  ] as const);
  const [redis, mysql, kafka, nacos] = results;
  if (
    redis.status === 'rejected' ||
    mysql.status === 'rejected' ||
    kafka.status === 'rejected' ||
    nacos.status === 'rejected'
  ) {
    await stop();
    const reasons = results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
    );
    throw new Error(reasons.join('\n'));
  }
  const endpoints: Endpoints = {
    redisUrl: redis.value,
    mysqlUrl: mysql.value,
    kafkaBrokers: kafka.value,
    nacos: nacos.value,
  };
  const running = [...started];
  const report = (): ServerReport[] => {
    const shown: Record<string, string> = {
      redis: endpoints.redisUrl,
      mariadb: endpoints.mysqlUrl.replace(/\/\/[^@]*@/, '//'), // no password in output
      kafka: endpoints.kafkaBrokers.join(','),
      nacos: endpoints.nacos.serverAddr,
    };
    return Object.entries(shown).map(([name, endpoint]) => {
      const own = running.find((s) => s.name === name)?.server;
      const pid = own?.process?.pid;
      const rss = pid === undefined ? undefined : rssMb(pid);
      return {
        name,
        endpoint,
        given: own === undefined,
        ...(own === undefined ? {} : { startMs: own.startMs }),
        ...(pid === undefined ? {} : { pid }),
        ...(rss === undefined ? {} : { rssMb: rss }),
      };
    });
  };
  return { endpoints, ...(nacosConsoleUrl === undefined ? {} : { nacosConsoleUrl }), report, stop };
}
