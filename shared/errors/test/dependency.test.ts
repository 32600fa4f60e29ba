import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis, ReplyError } from 'ioredis';
import MaxRetriesPerRequestError from 'ioredis/built/errors/MaxRetriesPerRequestError.js';
import {
  Kafka,
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  logLevel,
} from 'kafkajs';
import { createConnection, createPool } from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppError,
  classifyDependencyFailure,
  DEPENDENCY_RETRY_AFTER_SECONDS,
  DependencyError,
  dependencyError,
  errorBody,
  toAppError,
} from '../src/index.js';

// The classifier is checked against the errors the real clients raise. Where a client only
// raises an error on the wire, a local TCP server that never answers (or hangs up) provokes it.

/** A server on 127.0.0.1 that accepts connections and then does nothing, or hangs up at once. */
async function tcpServer(behaviour: 'silent' | 'hang-up'): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (behaviour === 'hang-up') socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (taken, then freed). */
async function closedPort(): Promise<number> {
  const server = await tcpServer('silent');
  await server.close();
  return server.port;
}

// ioredis types its ReplyError (from redis-errors) as any.
const RedisReplyError = ReplyError as new (message: string) => Error;

/** mysql2 builds server errors from the error packet; this is the shape it gives them. */
function mysqlServerError(code: string | undefined, errno: number, sqlState: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno, sqlState, sqlMessage: message, fatal: false });
}

function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

describe('Redis (ioredis)', () => {
  let silent: Awaited<ReturnType<typeof tcpServer>>;
  let hangUp: Awaited<ReturnType<typeof tcpServer>>;
  beforeAll(async () => {
    silent = await tcpServer('silent');
    hangUp = await tcpServer('hang-up');
  });
  afterAll(async () => {
    await silent.close();
    await hangUp.close();
  });

  it('a command the server never answers: "Command timed out"', async () => {
    const redis = new Redis({
      port: silent.port,
      host: '127.0.0.1',
      enableReadyCheck: false,
      commandTimeout: 20,
      lazyConnect: true,
    });
    try {
      const err = await rejectionOf(redis.get('k'));
      expect((err as Error).message).toBe('Command timed out');
      expect(classifyDependencyFailure(err)).toEqual({ dependency: 'redis', reason: 'Command timed out' });
    } finally {
      redis.disconnect();
    }
  });

  it('a server that hangs up, with retries used up: MaxRetriesPerRequestError', async () => {
    const redis = new Redis({
      port: hangUp.port,
      host: '127.0.0.1',
      maxRetriesPerRequest: 0,
      retryStrategy: () => 10,
      lazyConnect: true,
    });
    try {
      const err = await rejectionOf(redis.get('k'));
      expect(err).toBeInstanceOf(MaxRetriesPerRequestError);
      expect(classifyDependencyFailure(err)?.dependency).toBe('redis');
    } finally {
      redis.disconnect();
    }
  });

  it('a server that hangs up and no reconnect: "Connection is closed."', async () => {
    const redis = new Redis({ port: hangUp.port, host: '127.0.0.1', retryStrategy: () => null, lazyConnect: true });
    try {
      const err = await rejectionOf(redis.get('k'));
      expect(classifyDependencyFailure(err)).toEqual({ dependency: 'redis', reason: 'Connection is closed.' });
    } finally {
      redis.disconnect();
    }
  });

  it('no connection and no offline queue: the stream is not writeable', async () => {
    const redis = new Redis({
      port: await closedPort(),
      host: '127.0.0.1',
      enableOfflineQueue: false,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    try {
      const err = await rejectionOf(redis.get('k'));
      expect((err as Error).message).toMatch(/enableOfflineQueue/);
      expect(classifyDependencyFailure(err)?.dependency).toBe('redis');
    } finally {
      redis.disconnect();
    }
  });

  it('replies that mean "not now": LOADING, BUSY, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY', () => {
    for (const reply of [
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'CLUSTERDOWN The cluster is down',
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no',
      "READONLY You can't write against a read only replica.",
    ]) {
      const err = new RedisReplyError(reply);
      expect(classifyDependencyFailure(err), reply).toEqual({ dependency: 'redis', reason: reply.split(' ')[0] });
    }
  });

  it('replies that mean "wrong" stay bugs', () => {
    for (const reply of [
      'ERR wrong number of arguments for command',
      'NOSCRIPT No matching script. Please use EVAL.',
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      'BUSYGROUP Consumer Group name already exists',
    ]) {
      expect(classifyDependencyFailure(new RedisReplyError(reply)), reply).toBeUndefined();
    }
  });
});

describe('MySQL (mysql2)', () => {
  let silent: Awaited<ReturnType<typeof tcpServer>>;
  let hangUp: Awaited<ReturnType<typeof tcpServer>>;
  beforeAll(async () => {
    silent = await tcpServer('silent');
    hangUp = await tcpServer('hang-up');
  });
  afterAll(async () => {
    await silent.close();
    await hangUp.close();
  });

  it('a refused connection', async () => {
    const connection = createConnection({ host: '127.0.0.1', port: await closedPort() });
    const err = await rejectionOf(connection.promise().connect());
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(classifyDependencyFailure(err)).toEqual({ dependency: 'mysql', reason: 'ECONNREFUSED' });
  });

  it('a handshake that never comes: connect ETIMEDOUT', async () => {
    const connection = createConnection({ host: '127.0.0.1', port: silent.port, connectTimeout: 20 });
    const err = await rejectionOf(connection.promise().connect());
    expect((err as { code?: string }).code).toBe('ETIMEDOUT');
    expect(classifyDependencyFailure(err)).toEqual({ dependency: 'mysql', reason: 'ETIMEDOUT' });
  });

  it('a server that hangs up during the handshake', async () => {
    const connection = createConnection({ host: '127.0.0.1', port: hangUp.port });
    const err = await rejectionOf(connection.promise().connect());
    expect(classifyDependencyFailure(err)?.dependency).toBe('mysql');
  });

  it('a pool whose wait queue is full: "Queue limit reached."', async () => {
    const pool = createPool({
      host: '127.0.0.1',
      port: silent.port,
      connectionLimit: 1,
      queueLimit: 1,
      connectTimeout: 60_000,
    }).promise();
    const first = pool.getConnection(); // opens the one connection, whose handshake never ends
    const second = pool.getConnection(); // waits in the queue
    first.catch(() => undefined);
    second.catch(() => undefined);
    const err = await rejectionOf(pool.getConnection());
    // Ending would wait for handshakes that never come; the server closes the sockets after the tests.
    void pool.end().catch(() => undefined);
    expect((err as Error).message).toBe('Queue limit reached.');
    expect(classifyDependencyFailure(err)?.dependency).toBe('mysql');
  });

  it('server errors of a busy or failing-over server', () => {
    const cases = [
      mysqlServerError('ER_LOCK_WAIT_TIMEOUT', 1205, 'HY000', 'Lock wait timeout exceeded; try restarting transaction'),
      mysqlServerError('ER_LOCK_DEADLOCK', 1213, '40001', 'Deadlock found when trying to get lock'),
      mysqlServerError('ER_CON_COUNT_ERROR', 1040, '08004', 'Too many connections'),
      mysqlServerError('ER_QUERY_INTERRUPTED', 1317, '70100', 'Query execution was interrupted'),
      // MariaDB's max_statement_time: an errno mysql2 has no name for
      mysqlServerError(undefined, 1969, '70100', 'Query execution was interrupted (max_statement_time exceeded)'),
      mysqlServerError(
        'ER_OPTION_PREVENTS_STATEMENT',
        1290,
        'HY000',
        'The MariaDB server is running with the --read-only option',
      ),
    ];
    for (const err of cases) expect(classifyDependencyFailure(err)?.dependency, err.message).toBe('mysql');
  });

  it('server errors that are our mistakes stay bugs', () => {
    expect(classifyDependencyFailure(mysqlServerError('ER_DUP_ENTRY', 1062, '23000', "Duplicate entry '1'"))).toBe(
      undefined,
    );
    expect(classifyDependencyFailure(mysqlServerError('ER_PARSE_ERROR', 1064, '42000', 'syntax error'))).toBe(
      undefined,
    );
    expect(classifyDependencyFailure(mysqlServerError('ER_NO_SUCH_TABLE', 1146, '42S02', "Table doesn't exist"))).toBe(
      undefined,
    );
  });
});

/** What kafkajs' retrier throws for an error it will not retry (its typings omit the cause). */
function nonRetriable(cause: Error): Error {
  const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, m: { cause: Error }) => Error;
  return new NonRetriable(cause, { cause });
}

/** What kafkajs makes of an error code in a broker's response (protocol/error.js). */
function protocolError(type: string, code: number, retriable: boolean, message: string): Error {
  return new KafkaJSProtocolError({ type, code, retriable, message } as unknown as Error);
}

describe('Kafka (kafkajs)', () => {
  it('a broker that refuses: the retries run out over a connection error', async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${await closedPort()}`],
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const err = await rejectionOf(admin.connect());
    await admin.disconnect();
    expect(classifyDependencyFailure(err)?.dependency).toBe('kafka');
  });

  it('connection, timeout and missing-broker errors, bare or wrapped', () => {
    const connection = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { broker: 'b:9092' });
    const cases: Error[] = [
      connection,
      new KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out', {
        broker: 'b:9092',
        clientId: 'c',
        correlationId: 7,
        createdAt: 0,
        sentAt: 0,
        pendingDuration: 0,
      }),
      new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 5, retryTime: 1000 }),
      nonRetriable(connection),
      new (KafkaJSBrokerNotFound as unknown as new (message: string) => Error)(
        'Broker 1 not found in the cached metadata',
      ),
      protocolError('BROKER_NOT_AVAILABLE', 8, false, 'The broker is not available'),
      protocolError('NOT_ENOUGH_REPLICAS', 19, true, 'Fewer in-sync replicas than required'),
      protocolError('NOT_COORDINATOR_FOR_GROUP', 16, true, 'This is not the correct coordinator for this group'),
    ];
    for (const err of cases) expect(classifyDependencyFailure(err)?.dependency, err.name).toBe('kafka');
  });

  it('a non-retriable error wrapping a bug stays a bug', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'offset')");
    expect(classifyDependencyFailure(nonRetriable(bug))).toBeUndefined();
    const badTopic = protocolError('INVALID_TOPIC_EXCEPTION', 17, false, 'An operation on an invalid topic');
    expect(classifyDependencyFailure(badTopic)).toBeUndefined();
  });
});

describe('Nacos', () => {
  it('the client names its server and connection errors Nacos…Error', () => {
    const err = Object.assign(new Error('Nacos Server Error Status: 503'), { name: 'NacosServerResponseError' });
    expect(classifyDependencyFailure(err)).toEqual({ dependency: 'nacos', reason: 'NacosServerResponseError' });
  });
});

describe('dependencyError and toAppError', () => {
  const stalled = new Error('Command timed out');

  it('turn a dependency failure into UNAVAILABLE with Retry-After and a generic message', () => {
    const error = dependencyError(stalled);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({
      code: 'UNAVAILABLE',
      status: 503,
      retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
      dependency: 'redis',
      cause: stalled,
    });
    expect(toAppError(stalled)).toMatchObject({ code: 'UNAVAILABLE', retryAfterSeconds: 1 });
    expect(dependencyError(stalled, { retryAfterSeconds: 3 })?.retryAfterSeconds).toBe(3);
  });

  it('never leak the dependency, its address or its message to the client', () => {
    const leaky = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:3306 user=couponkill'), {
      code: 'ECONNREFUSED',
      fatal: true,
    });
    const text = JSON.stringify(errorBody(leaky, 'r1'));
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'UNAVAILABLE', requestId: 'r1' } });
    for (const secret of ['10.0.0.7', '3306', 'ECONNREFUSED', 'couponkill', 'mysql'])
      expect(text).not.toContain(secret);
  });

  it('keep bugs INTERNAL and AppErrors as they are', () => {
    for (const bug of [new Error('boom'), new TypeError('x is not a function'), new RangeError('bad'), 'text', null]) {
      expect(dependencyError(bug)).toBeUndefined();
      expect(toAppError(bug).code).toBe('INTERNAL');
    }
    const soldOut = new AppError('SOLD_OUT', 'Sold out.', { cause: stalled });
    expect(dependencyError(soldOut)).toBeUndefined();
    expect(toAppError(soldOut)).toBe(soldOut);
  });

  it('look through causes and aggregate errors, but not forever', () => {
    expect(classifyDependencyFailure(new Error('lookup failed', { cause: stalled }))?.dependency).toBe('redis');
    expect(classifyDependencyFailure(new AggregateError([new Error('x'), stalled]))?.dependency).toBe('redis');
    const loop: Error & { cause?: unknown } = new Error('loop');
    loop.cause = loop;
    expect(classifyDependencyFailure(loop)).toBeUndefined();
    let deep: unknown = stalled;
    for (let i = 0; i < 20; i++) deep = new Error(`wrap ${i}`, { cause: deep });
    expect(classifyDependencyFailure(deep)).toBeUndefined();
  });
});
