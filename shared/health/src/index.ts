export { createHealth, type Health, type HealthOptions, type Liveness, type Readiness } from './health.js';
export { type Check, type CheckResult } from './run-check.js';
export { safeErrorMessage } from './safe-error.js';
export {
  checkDependencies,
  type Dependencies,
  kafkaAdminReachable,
  type KafkaAdminLike,
  type MysqlQueryable,
  pingMysql,
  pingRedis,
  type PooledStore,
  type RedisPingable,
} from './checks.js';
