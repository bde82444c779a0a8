import { createPostgres } from '@hub/postgres';
import { captureLogs, testEndpoints } from '@hub/testkit';
import { describe, expect, it } from 'vitest';
import { baseMigrationsOf } from './migrations.ts';
import { defineService } from './service.ts';
import { startRouteHarness } from './testing.ts';

const noteTable = { version: 1, name: 'create_notes', sql: 'CREATE TABLE notes (id int PRIMARY KEY)' };

describe('PostgreSQL in the runtime', () => {
  it("applies the services' migrations in the deployment's own schema at start, is ready on it, drops it after", async () => {
    const h = await startRouteHarness({
      service: 'audit',
      clients: [],
      services: [() => defineService({ name: 'audit', migrations: [noteTable] })],
    });
    const { postgres } = h.deps;
    const schema = postgres.schema;
    expect(schema).toMatch(/^t_[a-f0-9]{10}$/);
    await postgres.query('INSERT INTO notes (id) VALUES ($1)', [1]);
    const { rows } = await postgres.query<{ version: number }>('SELECT version FROM schema_migrations');
    expect(rows).toEqual([{ version: 1 }]);
    const ready = await h.http.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    await h.close();

    const other = createPostgres({
      url: testEndpoints().postgresUrl,
      applicationName: 'test',
      logger: captureLogs().logger,
    });
    const left = await other.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    await other.close();
    expect(left.rowCount).toBe(0);
  });

  it('refuses one migration version declared by two services', () => {
    const audit = defineService({ name: 'audit', migrations: [noteTable] });
    const inbox = defineService({ name: 'inbox', migrations: [{ ...noteTable, name: 'create_inbox_notes' }] });
    expect(() => baseMigrationsOf([audit, inbox])).toThrow(
      'migration version 1 of the schema is declared by both audit and inbox',
    );
    expect(baseMigrationsOf([audit, defineService({ name: 'inbox' })])).toEqual([noteTable]);
  });
});
