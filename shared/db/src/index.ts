export {
  createPool,
  databaseOf,
  type DbOptions,
  type Pool,
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
