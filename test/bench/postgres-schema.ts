/**
 * The PostgreSQL benches' one set-up: the shared stack's URL (POSTGRES_URL), and a fresh schema, migrated, for one
 * run and dropped after it (so a bench never touches another's tables and leaves nothing behind).
 */
import { randomBytes } from 'node:crypto';
import { createLogger } from '@hub/logger';
import { createPostgres, migrate, type Migration, type Postgres } from '@hub/postgres';

export function benchPostgresUrl(): string {
  return process.env['POSTGRES_URL'] ?? 'postgres://hub@127.0.0.1:5433/hub';
}

/** Runs `run` on a new schema `bench_<random>` with `migrations` applied; drops the schema however `run` ends. */
export async function withBenchSchema<T>(
  url: string,
  applicationName: string,
  migrations: readonly Migration[],
  run: (postgres: Postgres, schema: string) => Promise<T>,
): Promise<T> {
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const postgres = createPostgres({ url, applicationName, logger, schema });
  try {
    await migrate(postgres, migrations, { logger });
    return await run(postgres, schema);
  } finally {
    await postgres.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await postgres.close();
  }
}
