import { afterAll, describe, expect, it } from 'vitest';
import { captureLogs, isolatedPostgresSchema, testEndpoints } from '@hub/testkit';
import { createPostgres, migrate, MigrationError, PostgresQueryError, type Migration, type Postgres } from './index.ts';

// Each test migrates a schema of its own in the tests' database, dropped afterwards.
const { postgresUrl } = testEndpoints();
const logs = captureLogs('postgres-int-test');
const opened: Postgres[] = [];
const schemas: string[] = [];

function client(schema: string): Postgres {
  const postgres = createPostgres({
    url: postgresUrl,
    applicationName: 'postgres-int-test',
    logger: logs.logger,
    schema,
  });
  opened.push(postgres);
  return postgres;
}

function freshSchema(): string {
  const schema = isolatedPostgresSchema();
  schemas.push(schema);
  return schema;
}

/** Sees every schema from outside (`public` search path). */
const observer = client('public');

afterAll(async () => {
  for (const schema of schemas) await observer.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await Promise.all(opened.map((postgres) => postgres.close()));
});

// Neither statement is idempotent: applied twice, the CREATE TABLE fails and `applied` gets a second row.
const CREATE_APPLIED: Migration = {
  version: 1,
  name: 'create_applied',
  sql: 'CREATE TABLE applied (migration integer NOT NULL); INSERT INTO applied VALUES (1);',
};
const CREATE_ITEMS: Migration = {
  version: 2,
  name: 'create_items',
  // The sleep holds the lock long enough for a second starter to arrive while the first is still migrating.
  sql: 'CREATE TABLE items (id integer PRIMARY KEY); INSERT INTO applied VALUES (2); SELECT pg_sleep(0.3);',
};
const FAILS_HALF_WAY: Migration = {
  version: 2,
  name: 'fails_half_way',
  sql: 'CREATE TABLE half (id integer); INSERT INTO half VALUES (1); INSERT INTO applied VALUES (2); SELECT 1 / 0;',
};

async function recorded(schema: string): Promise<number[]> {
  const { rows } = await observer.query<{ version: number }>(
    `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
  );
  return rows.map((row) => row.version);
}

async function appliedRows(schema: string): Promise<number[]> {
  const { rows } = await observer.query<{ migration: number }>(`SELECT migration FROM ${schema}.applied ORDER BY 1`);
  return rows.map((row) => row.migration);
}

async function tableExists(schema: string, table: string): Promise<boolean> {
  const { rows } = await observer.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [
    `${schema}.${table}`,
  ]);
  return rows[0]?.found !== null;
}

describe('migrate', () => {
  it('applies each migration once when several instances start together', async () => {
    const schema = freshSchema();
    const starters = [client(schema), client(schema), client(schema)];
    const results = await Promise.all(
      starters.map((postgres) => migrate(postgres, [CREATE_APPLIED, CREATE_ITEMS], { logger: logs.logger })),
    );
    expect(results.map((result) => result.applied).sort()).toEqual([[], [], [1, 2]]);
    expect(results.every((result) => result.version === 2)).toBe(true);
    expect(await recorded(schema)).toEqual([1, 2]);
    expect(await appliedRows(schema)).toEqual([1, 2]);

    // A restart finds the schema current and changes nothing.
    expect(await migrate(client(schema), [CREATE_APPLIED, CREATE_ITEMS], { logger: logs.logger })).toEqual({
      applied: [],
      version: 2,
    });
    expect(await appliedRows(schema)).toEqual([1, 2]);
  });

  it('refuses to start on a schema a newer release migrated, changing nothing', async () => {
    const schema = freshSchema();
    await migrate(client(schema), [CREATE_APPLIED, CREATE_ITEMS], { logger: logs.logger });
    const older = migrate(client(schema), [CREATE_APPLIED], { logger: logs.logger });
    await expect(older).rejects.toThrow(MigrationError);
    await expect(older).rejects.toThrow(
      'the database has migration 2 (create_items), which this code does not know (it knows up to 1)',
    );
    expect(await recorded(schema)).toEqual([1, 2]);
  });

  it('refuses an applied migration whose SQL has changed', async () => {
    const schema = freshSchema();
    await migrate(client(schema), [CREATE_APPLIED], { logger: logs.logger });
    const edited = { ...CREATE_APPLIED, sql: `${CREATE_APPLIED.sql} INSERT INTO applied VALUES (99);` };
    await expect(migrate(client(schema), [edited], { logger: logs.logger })).rejects.toThrow(
      'migration 1 was applied as create_applied with other SQL',
    );
    expect(await appliedRows(schema)).toEqual([1]);
  });

  it('leaves nothing of a run that fails half-way: not the schema, not the earlier migrations of the run', async () => {
    const schema = freshSchema();
    const failed = migrate(client(schema), [CREATE_APPLIED, FAILS_HALF_WAY], { logger: logs.logger });
    await expect(failed).rejects.toThrow(PostgresQueryError);
    await expect(failed).rejects.toMatchObject({ code: '22012' }); // division_by_zero
    const namespaces = await observer.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(namespaces.rowCount).toBe(0);
  });

  it('leaves the applied migrations as they were when a later one fails', async () => {
    const schema = freshSchema();
    await migrate(client(schema), [CREATE_APPLIED], { logger: logs.logger });
    await expect(migrate(client(schema), [CREATE_APPLIED, FAILS_HALF_WAY], { logger: logs.logger })).rejects.toThrow(
      PostgresQueryError,
    );
    expect(await recorded(schema)).toEqual([1]);
    expect(await appliedRows(schema)).toEqual([1]);
    expect(await tableExists(schema, 'half')).toBe(false);
    expect(await tableExists(schema, 'applied')).toBe(true);
  });

  it('logs each migration applied by version and name, never its SQL', () => {
    const applied = logs.lines().filter((line) => line['msg'] === 'postgres migration applied');
    expect(applied).toContainEqual(expect.objectContaining({ version: 2, migration: 'create_items' }));
    expect(logs.text()).not.toContain('CREATE TABLE');
  });
});
