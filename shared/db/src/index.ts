export {
  createPool,
  databaseOf,
  type DbOptions,
  MYSQL_POOL_DEFAULTS,
  MYSQL_POOL_ENV,
  mysqlPoolSchema,
  mysqlPoolSchemaWith,
  type MysqlPoolSettings,
  type Pool,
  POOL_ACQUIRE_TIMEOUT,
  type PoolConnection,
  withDatabase,
  withTransaction,
} from './pool.js';
export {
  loadMigrations,
  migrate,
  packageDir,
  type Migration,
  type MigrationResult,
  splitStatements,
} from './migrations.js';
