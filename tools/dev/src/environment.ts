import { join } from 'node:path';
import { type Endpoints, REPO_ROOT } from '@couponkill/servers';

/** The issuer of the local runtime's tokens (user-auth signs them; every function checks it). */
export const LOCAL_AUTH_ISSUER = 'https://auth.couponkill.local';

export interface RuntimeSettings {
  /** Where the functions reach the middleware (the servers, or a fault-injecting proxy in front). */
  readonly endpoints: Endpoints;
  /** user-auth's signing keys (JSON). */
  readonly signingKeys: string;
  /** The shared secret of the job entry points (/jobs/…). */
  readonly jobToken: string;
  readonly nacosNamespace: string;
  readonly logLevel: string;
}

/** Where a function finds the public keys of user-auth, once it runs on its port. */
export function jwksUrl(ports: ReadonlyMap<string, number>): string {
  return `http://127.0.0.1:${ports.get('user-auth')}/.well-known/jwks.json`;
}

export type FunctionEnvironment = (ports: ReadonlyMap<string, number>) => Record<string, string>;

/**
 * Each routed function's environment, as its container gets it in the cluster, in start order
 * (user-auth first: the others read its keys). The order worker's replicas take create-order's.
 */
export function functionEnvironments(s: RuntimeSettings): Record<string, FunctionEnvironment> {
  const common = {
    MYSQL_URL: s.endpoints.mysqlUrl,
    REDIS_URL: s.endpoints.redisUrl,
    AUTH_ISSUER: LOCAL_AUTH_ISSUER,
    LOG_LEVEL: s.logLevel,
  };
  const brokerList = s.endpoints.kafkaBrokers.join(',');
  return {
    'user-auth': () => ({
      ...common,
      MIGRATE_ON_START: 'true',
      AUTH_SIGNING_KEYS: s.signingKeys,
      TRUSTED_PROXY_HOPS: '1',
      OPENAPI_FILE: join(REPO_ROOT, 'docs', 'openapi.json'),
    }),
    // Its /jobs/redrive takes the job token; its verifier checks it against user-auth's keys.
    'create-order': (ports) => ({
      ...common,
      MIGRATE_ON_START: 'true',
      AUTH_JWKS_URL: jwksUrl(ports),
      JOB_TOKEN: s.jobToken,
    }),
    'coupon-admin': (ports) => ({ ...common, MIGRATE_ON_START: 'true', AUTH_JWKS_URL: jwksUrl(ports) }),
    'user-lookup': (ports) => ({ ...common, AUTH_JWKS_URL: jwksUrl(ports) }),
    'grab-coupon': (ports) => ({
      ...common,
      AUTH_JWKS_URL: jwksUrl(ports),
      TRUSTED_PROXY_HOPS: '1',
      NACOS_SERVER_ADDR: s.endpoints.nacos.serverAddr,
      NACOS_USERNAME: s.endpoints.nacos.username,
      NACOS_PASSWORD: s.endpoints.nacos.password,
      NACOS_NAMESPACE: s.nacosNamespace,
    }),
    'grab-result': (ports) => ({ ...common, AUTH_JWKS_URL: jwksUrl(ports) }),
    orders: (ports) => ({ ...common, AUTH_JWKS_URL: jwksUrl(ports), JOB_TOKEN: s.jobToken }),
    'outbox-relay': () => ({ ...common, KAFKA_BROKERS: brokerList, CREATE_TOPICS: 'true', TOPIC_PARTITIONS: '12' }),
  };
}
