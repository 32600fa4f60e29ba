import { join } from 'node:path';
import { type FunctionManifest, loadManifests, type Need } from '@couponkill/manifest';
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
  /** Where the function manifests are (functions/<name>/function.yaml); the repository by default. */
  readonly root?: string;
}

/** Where a function finds the public keys of user-auth, once it runs on its port. */
export function jwksUrl(ports: ReadonlyMap<string, number>): string {
  return `http://127.0.0.1:${ports.get('user-auth')}/.well-known/jwks.json`;
}

export type FunctionEnvironment = (ports: ReadonlyMap<string, number>) => Record<string, string>;

/**
 * Each function's environment, as its container gets it in the cluster, built from its manifest's
 * `needs` (plus `migrate`, `openapi`, the `env` entries with a dev value and `dev.env`). Start
 * order: the functions that migrate databases first (as the chart's migration Jobs run before any
 * function), then the rest, each group in the manifests' order (user-auth first: the others read
 * its keys). Functions with `dev.start: false` are left out. The order worker's replicas take
 * create-order's.
 */
export function functionEnvironments(s: RuntimeSettings): Record<string, FunctionEnvironment> {
  const root = s.root ?? REPO_ROOT;
  const fromNeed: Record<Need, (ports: ReadonlyMap<string, number>) => Record<string, string>> = {
    mysql: () => ({ MYSQL_URL: s.endpoints.mysqlUrl }),
    redis: () => ({ REDIS_URL: s.endpoints.redisUrl }),
    kafka: () => ({ KAFKA_BROKERS: s.endpoints.kafkaBrokers.join(',') }),
    nacos: () => ({
      NACOS_SERVER_ADDR: s.endpoints.nacos.serverAddr,
      NACOS_USERNAME: s.endpoints.nacos.username,
      NACOS_PASSWORD: s.endpoints.nacos.password,
      NACOS_NAMESPACE: s.nacosNamespace,
    }),
    issuer: () => ({ AUTH_ISSUER: LOCAL_AUTH_ISSUER }),
    verifier: (ports) => ({ AUTH_JWKS_URL: jwksUrl(ports) }),
    signingKeys: () => ({ AUTH_SIGNING_KEYS: s.signingKeys }),
    // The local gateway is the one proxy in front of a function.
    clientAddress: () => ({ TRUSTED_PROXY_HOPS: '1' }),
    coupons: () => ({}), // the function's default database name
    jobToken: () => ({ JOB_TOKEN: s.jobToken }),
  };
  const envOf =
    (m: FunctionManifest): FunctionEnvironment =>
    (ports) => ({
      ...m.needs.reduce<Record<string, string>>((env, need) => ({ ...env, ...fromNeed[need](ports) }), {}),
      LOG_LEVEL: s.logLevel,
      ...(m.migrate ? { MIGRATE_ON_START: 'true' } : {}),
      ...(m.openapi ? { OPENAPI_FILE: join(root, 'docs', 'openapi.json') } : {}),
      ...Object.fromEntries(m.env.flatMap((e) => (e.dev === undefined ? [] : [[e.name, e.dev]]))),
      ...m.dev.env,
    });
  return Object.fromEntries(
    loadManifests(root)
      .filter((m) => m.dev.start)
      .sort((a, b) => Number(b.migrate) - Number(a.migrate))
      .map((m) => [m.name, envOf(m)]),
  );
}
