export { createHealth, type Health, type HealthOptions, type Liveness, type Readiness } from './health.js';
export { type Check, type CheckResult } from './run-check.js';
export { safeErrorMessage } from './safe-error.js';
export {
  kafkaAdminReachable,
  type KafkaAdminLike,
  type MysqlQueryable,
  pingMysql,
  pingRedis,
  type RedisPingable,
} from './checks.js';
