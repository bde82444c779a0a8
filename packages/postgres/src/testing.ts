/*
 * Tests only (`@hub/postgres/testing`): dropping what an isolated test schema left behind. No vitest here, so
 * benchmarks and child-process helpers can use it too.
 */
import { createPostgres } from './client.ts';

/** An isolated test schema (`isolatedPostgresSchema()` of @hub/testkit): `t_` and 10 hex digits. */
const TEST_SCHEMA = /^t_[a-f0-9]{10}$/;

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };

/**
 * Drops `schema` and every schema named `<schema>_…` (its views' generations: `<schema>_<view>_<generation>`).
 * Refuses anything but an isolated test schema, so it can never drop a deployment's.
 */
export async function dropTestSchemas(url: string, schema: string): Promise<void> {
  if (!TEST_SCHEMA.test(schema)) throw new Error('only an isolated test schema (t_ and 10 hex digits) is dropped');
  const postgres = createPostgres({ url, applicationName: 'test-cleanup', logger: quiet });
  try {
    const { rows } = await postgres.query<{ name: string }>(
      "SELECT nspname AS name FROM pg_namespace WHERE nspname = $1 OR left(nspname, length($1) + 1) = $1 || '_'",
      [schema],
    );
    // Names found under the checked prefix: lower-case letters, digits and underscores.
    for (const { name } of rows) await postgres.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await postgres.close();
  }
}
