export {
  createPostgres,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  type CreatePostgresOptions,
  type Postgres,
  type PostgresLogger,
  type Queryable,
  type QueryResult,
} from './client.ts';
export { PostgresQueryError, isPostgresUnavailable } from './errors.ts';
export { migrate, MigrationError, type Migration, type MigrateOptions, type MigrateResult } from './migrate.ts';
