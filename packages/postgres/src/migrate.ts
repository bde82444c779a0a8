import { createHash } from 'node:crypto';
import type { Postgres, PostgresLogger, Queryable } from './client.ts';

/** One schema change. Versions only grow; an applied migration is never edited (its checksum is recorded). */
export interface Migration {
  /** A positive integer, strictly increasing through the list. */
  readonly version: number;
  /** Lower-case words with underscores, e.g. `create_audit_events`. */
  readonly name: string;
  /** Transactional DDL and DML, several statements allowed (no CREATE INDEX CONCURRENTLY: it refuses a transaction). */
  readonly sql: string;
}

/** The database cannot be brought to the code's schema; the message says why and what to do. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export interface MigrateOptions {
  readonly logger: PostgresLogger;
  /** How long to wait for another instance's migrations (the advisory lock) or any lock a migration needs; default 60 000. */
  readonly lockTimeoutMs?: number;
  /** How long one run of migrations may take; default 300 000. */
  readonly statementTimeoutMs?: number;
}

export interface MigrateResult {
  /** The versions this call applied, in order; empty when another instance had or the schema was current. */
  readonly applied: number[];
  /** The schema's version afterwards (0 when the list is empty). */
  readonly version: number;
}

const NAME = /^[a-z0-9]+(_[a-z0-9]+)*$/;
const MAX_NAME_LENGTH = 100;
/** One lock space for every schema's migrations; the schema's name picks the lock within it. */
const LOCK_SPACE = 'hub.schema_migrations';

interface Recorded {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

/**
 * Brings `postgres.schema` to the last of `migrations`, at start, before the caller serves. Everything happens in
 * one transaction holding a transaction-level advisory lock for this schema: instances starting together wait for
 * each other, and the later ones find the work done. Applied versions are recorded in `schema_migrations` with the
 * SHA-256 of their SQL. A migration that fails rolls the whole run back, so the schema is either where it was or
 * where the code wants it. Refuses (MigrationError, nothing changed) when the database has a version the code does
 * not know (a newer release migrated it), when an applied migration's name or SQL has changed, or when a version is
 * missing below the latest applied one.
 */
export async function migrate(
  postgres: Postgres,
  migrations: readonly Migration[],
  options: MigrateOptions,
): Promise<MigrateResult> {
  checkList(migrations);
  const lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  const statementTimeoutMs = options.statementTimeoutMs ?? 300_000;
  const { schema } = postgres;
  const result = await postgres.transaction(async (tx) => {
    // Integers only (checked by the caller's types and here), so they can be set as literals: SET takes no $1.
    await tx.query(`SET LOCAL lock_timeout = ${Math.trunc(lockTimeoutMs)}`);
    await tx.query(`SET LOCAL statement_timeout = ${Math.trunc(statementTimeoutMs)}`);
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [LOCK_SPACE, schema]);
    await ensureTable(tx, schema);
    const recorded = (
      await tx.query<Recorded>(`SELECT version, name, checksum FROM ${schema}.schema_migrations ORDER BY version`)
    ).rows;
    const pending = plan(migrations, recorded);
    for (const migration of pending) {
      await tx.query(migration.sql);
      await tx.query(`INSERT INTO ${schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        checksum(migration),
      ]);
    }
    return { applied: pending.map((migration) => migration.version), version: migrations.at(-1)?.version ?? 0 };
  });
  for (const version of result.applied) {
    const name = migrations.find((migration) => migration.version === version)?.name;
    options.logger.info({ schema, version, migration: name }, 'postgres migration applied');
  }
  options.logger.info({ schema, version: result.version }, 'postgres schema current');
  return result;
}

/** The schema and its `schema_migrations`, created when missing (under the lock, so never twice at once). */
async function ensureTable(tx: Queryable, schema: string): Promise<void> {
  // Looked up first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when it exists.
  const exists = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  // The schema name is an identifier checked by createPostgres.
  if (exists.rowCount === 0) await tx.query(`CREATE SCHEMA ${schema}`);
  await tx.query(
    `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
       version integer PRIMARY KEY,
       name text NOT NULL,
       checksum text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
}

/** The migrations still to apply, or the reason the database and the code disagree. */
export function plan(migrations: readonly Migration[], recorded: readonly Recorded[]): Migration[] {
  const known = new Map(migrations.map((migration) => [migration.version, migration]));
  const latestKnown = migrations.at(-1)?.version ?? 0;
  for (const row of recorded) {
    const migration = known.get(row.version);
    if (migration === undefined) {
      throw new MigrationError(
        `the database has migration ${row.version} (${row.name}), which this code does not know (it knows up to ` +
          `${latestKnown}): a newer release has migrated it. Run that release or a later one; this one will not ` +
          'start on a schema it does not know.',
      );
    }
    if (migration.name !== row.name || checksum(migration) !== row.checksum) {
      throw new MigrationError(
        `migration ${row.version} was applied as ${row.name} with other SQL than this code's ${migration.name}: ` +
          'an applied migration must not change; add a new migration instead.',
      );
    }
  }
  const latestApplied = recorded.at(-1)?.version ?? 0;
  const applied = new Set(recorded.map((row) => row.version));
  const pending = migrations.filter((migration) => !applied.has(migration.version));
  const skipped = pending.find((migration) => migration.version < latestApplied);
  if (skipped !== undefined) {
    throw new MigrationError(
      `migration ${skipped.version} (${skipped.name}) is not applied, but the later ${latestApplied} is: ` +
        'new migrations go after the last one released.',
    );
  }
  return pending;
}

/** The list as the code declares it: versions strictly increasing, names well formed, SQL present. */
export function checkList(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const { version, name, sql } of migrations) {
    if (!Number.isSafeInteger(version) || version <= previous || version > 2_147_483_647) {
      throw new MigrationError(`migration versions must be positive integers in increasing order; ${version} is not`);
    }
    if (!NAME.test(name) || name.length > MAX_NAME_LENGTH) {
      throw new MigrationError(`migration ${version}'s name must be lower-case words joined by underscores`);
    }
    if (sql.trim() === '') throw new MigrationError(`migration ${version} (${name}) has no SQL`);
    previous = version;
  }
}

function checksum(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}
