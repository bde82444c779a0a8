import type { HubViewName } from '@hub/contracts';
import { PostgresQueryError, type Postgres } from '@hub/postgres';

/*
 * The PostgreSQL side of view generations (view-generations.ts, README "Generations"). A view kept in PostgreSQL
 * (`HUB_VIEWS[view].store === 'postgres'`) lives in a schema per generation, `<POSTGRES_SCHEMA>_<view>_<generation>`,
 * made by its services' migrations; the generation served is named by a row of `hub_view_generations` in the
 * deployment's schema. A view is lost when that row is missing, or names a schema that is gone or was emptied
 * (its `schema_migrations` has no row): then it is rebuilt from Kafka into a new schema, like a Redis view.
 */

/** A generation id: 12 hex digits (view-generations.ts `newGeneration`). */
const GENERATION = /^[0-9a-f]{12}$/;

/** Not there: a schema or table dropped (undefined_table, invalid_schema_name). */
const GONE = new Set(['42P01', '3F000']);
const isGone = (error: unknown) => error instanceof PostgresQueryError && GONE.has(error.code);

/** The schema of one generation of a view (identifier-safe: the base schema and generation are checked). */
export function generationSchema(base: string, view: HubViewName, generation: string): string {
  if (!GENERATION.test(generation)) throw new Error('not a view generation');
  return `${base}_${view.replaceAll('-', '_')}_${generation}`;
}

// Bookkeeping of the runtime beside `schema_migrations` (which `migrate` keeps the same way): made when missing.
const MARKERS_TABLE = `CREATE TABLE IF NOT EXISTS hub_view_generations (
  view text PRIMARY KEY,
  generation text NOT NULL,
  switched_at timestamptz NOT NULL
)`;

/** The markers of the views a deployment keeps in PostgreSQL, in its base schema. */
export interface PostgresMarkers {
  /** The generation served, if it is there and not emptied; null when lost or never built. */
  read(view: HubViewName): Promise<string | null>;
  /** Makes `generation` the one served (the switch at the end of a build). */
  write(view: HubViewName, generation: string): Promise<void>;
  /** Drops every other generation's schema of the view (a replaced one, abandoned builds). Answers how many. */
  dropOthers(view: HubViewName, keep: readonly string[]): Promise<number>;
  /** Forgets the generation served (`./hub rebuild --discard`): the view is lost until a new one is. */
  discard(view: HubViewName): Promise<boolean>;
}

export function postgresMarkers(base: Postgres): PostgresMarkers {
  return {
    async read(view) {
      let generation: string | undefined;
      try {
        const { rows } = await base.query<{ generation: string }>(
          'SELECT generation FROM hub_view_generations WHERE view = $1',
          [view],
        );
        generation = rows[0]?.generation;
      } catch (error) {
        if (isGone(error)) return null; // the markers table itself was dropped
        throw error;
      }
      if (generation === undefined || !GENERATION.test(generation)) return null;
      try {
        const { rows } = await base.query<{ alive: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM ${generationSchema(base.schema, view, generation)}.schema_migrations) AS alive`,
        );
        return rows[0]?.alive === true ? generation : null;
      } catch (error) {
        if (isGone(error)) return null;
        throw error;
      }
    },
    async write(view, generation) {
      await base.transaction(async (tx) => {
        // The deployment's schema exists once anything was migrated in it; a process with only views may be first.
        await tx.query(`CREATE SCHEMA IF NOT EXISTS ${base.schema}`);
        await tx.query(MARKERS_TABLE);
        await tx.query(
          `INSERT INTO hub_view_generations (view, generation, switched_at) VALUES ($1, $2, now())
           ON CONFLICT (view) DO UPDATE SET generation = excluded.generation, switched_at = excluded.switched_at`,
          [view, generation],
        );
      });
    },
    async dropOthers(view, keep) {
      const prefix = generationSchema(base.schema, view, '000000000000').slice(0, -12);
      const { rows } = await base.query<{ name: string }>(
        'SELECT nspname AS name FROM pg_namespace WHERE left(nspname, length($1)) = $1',
        [prefix],
      );
      const kept = new Set(keep.map((generation) => generationSchema(base.schema, view, generation)));
      const others = rows
        .map(({ name }) => name)
        .filter((name) => GENERATION.test(name.slice(prefix.length)) && !kept.has(name));
      for (const name of others) await base.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      return others.length;
    },
    async discard(view) {
      try {
        return (await base.query('DELETE FROM hub_view_generations WHERE view = $1', [view])).rowCount > 0;
      } catch (error) {
        if (isGone(error)) return false;
        throw error;
      }
    },
  };
}

/** A client whose every call goes to the client it was last switched to (like `@hub/redis` `switchableRedis`). */
export interface SwitchablePostgres {
  readonly client: Postgres;
  /** Sends every later call to `next`; answers the client it replaces (the caller closes it). */
  switchTo(next: Postgres): Postgres;
}

export function switchablePostgres(initial: Postgres): SwitchablePostgres {
  let current = initial;
  const client: Postgres = {
    get schema() {
      return current.schema;
    },
    query: (sql, params) => current.query(sql, params),
    transaction: (work) => current.transaction(work),
    session: (work) => current.session(work),
    ping: (timeoutMs) => current.ping(timeoutMs),
    close: (timeoutMs) => current.close(timeoutMs),
  };
  return {
    client,
    switchTo(next) {
      const previous = current;
      current = next;
      return previous;
    },
  };
}

/** A client for a view this process serves no generation of yet: every statement fails, nothing is written. */
export function noGenerationPostgres(view: HubViewName, base: Postgres): Postgres {
  const refuse = () => Promise.reject(new Error(`view ${view} has no generation yet`));
  return {
    schema: base.schema,
    query: refuse,
    transaction: refuse,
    session: refuse,
    ping: (timeoutMs) => base.ping(timeoutMs),
    close: () => Promise.resolve(),
  };
}
