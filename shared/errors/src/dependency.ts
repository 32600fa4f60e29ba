import { AppError } from './app-error.js';

/** A service we call and wait on. `network` is a socket-level failure whose client we cannot tell. */
export type Dependency = 'redis' | 'mysql' | 'kafka' | 'nacos' | 'network';

/** What a stalled or failed dependency looks like, for the logs (never for the client). */
export interface DependencyFailure {
  readonly dependency: Dependency;
  /** The error's name, code or first message line that matched: short, for a log field. */
  readonly reason: string;
}

/**
 * How long a client is told to wait after a dependency failed. Stalls we answer for (a Redis
 * pause, a failover, a lock wait) last seconds; one second spreads the retries without making a
 * user wait long once the dependency is back.
 */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 1;

export const DEPENDENCY_MESSAGE = 'A service this request needs is not answering right now; retry shortly.';

/**
 * The fields of an error that classification reads. Kept structural, so this package depends on
 * none of the clients (ioredis, mysql2, kafkajs, nacos) whose errors it recognises.
 */
interface ErrorFacts {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;
  /** kafkajs protocol errors: the Kafka error name, e.g. `LEADER_NOT_AVAILABLE`. */
  readonly type: string | undefined;
}

// Socket-level failures: the peer is gone, refuses, or does not answer. Any client can raise them.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

// ioredis rejects with plain Errors for these; the message is all there is to go by.
const REDIS_MESSAGES = [
  /^Command timed out$/,
  /^Connection is closed\.$/,
  /^Connection is aborted$/,
  /^Connection is discarded because a new connection is made$/,
  /^Command aborted due to connection close$/,
  /^Stream isn't writeable and enableOfflineQueue options is false$/,
  /^Cluster isn't ready and enableOfflineQueue options is false$/,
  /^Cluster is (disconnected|disconnecting|ended)\.$/,
  /^Node is disconnected$/,
  /^None of startup nodes is available$/,
  /^Too many Cluster redirections/,
  /^Socket timeout\. Expecting data/,
  /^Ready check failed/,
];
const REDIS_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
// Server replies that mean "not now" rather than "wrong": loading a dataset, a busy script, a
// resharding or failover in progress, a demoted master, no replica to acknowledge a write.
const REDIS_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS)\b/;

const MYSQL_CODES = new Set([
  // the connection went away or never came (mysql2's own codes)
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'PROTOCOL_ENQUEUE_HANDSHAKE_TWICE',
  // waiting for a pooled connection took too long (see @couponkill/db)
  'POOL_ACQUIRE_TIMEOUT',
  // the server is busy, shutting down or read-only (a failover in progress)
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_QUERY_INTERRUPTED',
  'ER_QUERY_TIMEOUT',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_NET_READ_ERROR',
  'ER_NET_ERROR_ON_WRITE',
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION',
]);
// MariaDB errors mysql2 has no name for: 1927 connection killed, 1969 max_statement_time exceeded.
const MYSQL_ERRNOS = new Set([1927, 1969]);
// SQLSTATE classes: 08 connection exception, 40001 serialization failure, 70100 query
// interrupted (KILL QUERY, max_statement_time), HYT00 timeout.
const MYSQL_SQLSTATES = /^(08|40001$|70100$|HYT00$)/;
const MYSQL_MESSAGES = [/^Queue limit reached\.$/, /^No connections available\.$/, /^Pool is closed\.$/];

const KAFKA_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
  // a wait we bounded ourselves: a send, the consumer lag (see @couponkill/events)
  'KafkaWaitTimeoutError',
]);
const KAFKA_PROTOCOL_TYPES = new Set([
  'BROKER_NOT_AVAILABLE',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_CONTROLLER',
  'KAFKA_STORAGE_ERROR',
]);

// The nacos client names its errors Nacos…Error (server response, conflict, long poll, sync);
// ours (@couponkill/nacos) follow the same pattern.
const NACOS_NAME = /^Nacos\w*Error$/;

/** How deep a chain of causes is followed; real chains are two or three long. */
const MAX_DEPTH = 5;

function factsOf(value: object): ErrorFacts {
  const fields = value as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const field = fields[key];
    return typeof field === 'string' && field !== '' ? field : undefined;
  };
  const errno = fields['errno'];
  return {
    name: text('name') ?? '',
    message: (text('message') ?? '').split('\n', 1)[0] ?? '',
    code: text('code'),
    errno: typeof errno === 'number' ? errno : undefined,
    sqlState: text('sqlState'),
    type: text('type'),
  };
}

function classifyOne(e: ErrorFacts, fatal: boolean): DependencyFailure | undefined {
  if (REDIS_NAMES.has(e.name)) return { dependency: 'redis', reason: e.name };
  if (e.name === 'ReplyError' && REDIS_REPLY.test(e.message)) {
    return { dependency: 'redis', reason: e.message.split(' ', 1)[0] ?? e.name };
  }
  if (REDIS_MESSAGES.some((pattern) => pattern.test(e.message))) return { dependency: 'redis', reason: e.message };

  if (e.code !== undefined && MYSQL_CODES.has(e.code)) return { dependency: 'mysql', reason: e.code };
  if (e.errno !== undefined && MYSQL_ERRNOS.has(e.errno) && e.sqlState !== undefined) {
    return { dependency: 'mysql', reason: `errno ${e.errno}` };
  }
  if (e.sqlState !== undefined && MYSQL_SQLSTATES.test(e.sqlState)) {
    return { dependency: 'mysql', reason: e.code ?? `SQLSTATE ${e.sqlState}` };
  }
  if (MYSQL_MESSAGES.some((pattern) => pattern.test(e.message))) return { dependency: 'mysql', reason: e.message };

  if (KAFKA_NAMES.has(e.name)) return { dependency: 'kafka', reason: e.name };
  if (e.name === 'KafkaJSProtocolError' && e.type !== undefined && KAFKA_PROTOCOL_TYPES.has(e.type)) {
    return { dependency: 'kafka', reason: e.type };
  }

  if (NACOS_NAME.test(e.name)) return { dependency: 'nacos', reason: e.name };

  // mysql2 marks the errors that broke its connection `fatal`; other clients do not.
  if (e.code !== undefined && NETWORK_CODES.has(e.code))
    return { dependency: fatal ? 'mysql' : 'network', reason: e.code };
  return undefined;
}

/**
 * The error itself, then what it wraps: `cause`, kafkajs' `originalError`, an AggregateError's
 * `errors`. An AppError was already decided by whoever threw it, so it is not looked into.
 */
function* chain(err: unknown, depth = 0): Generator<object> {
  if (typeof err !== 'object' || err === null || err instanceof AppError || depth > MAX_DEPTH) return;
  yield err;
  const fields = err as Record<string, unknown>;
  const inner = new Set<unknown>([fields['cause'], fields['originalError']]);
  if (Array.isArray(fields['errors'])) for (const item of fields['errors'] as unknown[]) inner.add(item);
  for (const next of inner) if (next !== err) yield* chain(next, depth + 1);
}

/**
 * Whether `err` (or anything it wraps) says a dependency stalled or failed: Redis, MySQL, Kafka,
 * Nacos, or the network under them. Undefined for anything else, which stays a bug (INTERNAL).
 */
export function classifyDependencyFailure(err: unknown): DependencyFailure | undefined {
  for (const link of chain(err)) {
    const failure = classifyOne(factsOf(link), (link as { fatal?: unknown }).fatal === true);
    if (failure !== undefined) return failure;
  }
  return undefined;
}

/** An UNAVAILABLE caused by a dependency; carries which one, for the log line. */
export class DependencyError extends AppError {
  readonly dependency: Dependency;
  readonly reason: string;

  constructor(failure: DependencyFailure, options: { readonly retryAfterSeconds?: number; readonly cause?: unknown }) {
    super('UNAVAILABLE', DEPENDENCY_MESSAGE, {
      retryAfterSeconds: options.retryAfterSeconds ?? DEPENDENCY_RETRY_AFTER_SECONDS,
      cause: options.cause,
    });
    this.name = 'DependencyError';
    this.dependency = failure.dependency;
    this.reason = failure.reason;
  }
}

/**
 * UNAVAILABLE (503 with Retry-After) when `err` is a dependency failure, undefined otherwise. The
 * client sees only the generic message; the original error is the cause, for the logs.
 */
export function dependencyError(
  err: unknown,
  options: { readonly retryAfterSeconds?: number } = {},
): DependencyError | undefined {
  if (err instanceof DependencyError) return err;
  const failure = classifyDependencyFailure(err);
  return failure === undefined ? undefined : new DependencyError(failure, { ...options, cause: err });
}
