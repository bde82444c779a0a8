import { Pool, type PoolClient } from 'pg';
import { DependencyUnavailableError } from '@hub/errors';
import { describeError, toHubError } from './errors.ts';

/** The part of a logger this package uses; a @hub/logger (pino) logger fits. */
export interface PostgresLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface CreatePostgresOptions {
  /** `postgres://user[:password]@host:port/database` (or `postgresql://`). Never logged, never in an error. */
  readonly url: string;
  /** Shown in `pg_stat_activity.application_name` and written on this client's log lines, e.g. `hub-audit`. */
  readonly applicationName: string;
  readonly logger: PostgresLogger;
  /**
   * The schema every connection works in (`search_path`), where `migrate` keeps `schema_migrations`; default
   * `public`. Tests give each file its own, so parallel runs never meet.
   */
  readonly schema?: string;
  /** Connections at most; default 10. */
  readonly maxConnections?: number;
  /** A connection attempt gives up after this long; default 5000. */
  readonly connectTimeoutMs?: number;
  /** The server cancels a statement running longer (`statement_timeout`); default 30 000. */
  readonly statementTimeoutMs?: number;
}

export interface QueryResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

/** Something to run statements on: the client itself, or one transaction's connection. */
export interface Queryable {
  /**
   * Runs `sql` with `params` bound as $1, $2, … (never spliced into the text). Without params, `sql` may hold
   * several statements. Rejects with `DependencyUnavailableError('postgres')` when PostgreSQL could not be used and
   * `PostgresQueryError` when it refused the statement; neither carries a parameter or a value from the data.
   */
  query<Row extends object = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>>;
}

export interface Postgres extends Queryable {
  readonly schema: string;
  /**
   * Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws (then
   * rethrows). The connection is dropped, not reused, when the ROLLBACK itself fails.
   */
  transaction<R>(work: (tx: Queryable) => Promise<R>): Promise<R>;
  /**
   * Runs `work` on one connection held for its whole duration, outside any transaction: for session state such as a
   * session advisory lock (a leader's). The connection is then closed, never returned to the pool, so nothing of the
   * session (a lock its holder forgot, a `SET`) outlives `work`. When the server drops it meanwhile, the next
   * statement fails as unavailable (and the server has released the session's locks).
   */
  session<R>(work: (connection: Queryable) => Promise<R>): Promise<R>;
  /** Readiness: resolves when `SELECT 1` answers within `timeoutMs`, else rejects with DependencyUnavailableError. */
  ping(timeoutMs: number): Promise<void>;
  /** Ends every connection; waits at most `timeoutMs` (default 5000) for statements in flight. Idempotent, never rejects. */
  close(timeoutMs?: number): Promise<void>;
}

export const DEFAULT_MAX_CONNECTIONS = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const APPLICATION_NAME = /^[A-Za-z0-9._:-]{1,63}$/;

/**
 * A pool of connections to PostgreSQL. It connects lazily (the first statement or `ping`), and a connection that
 * fails is replaced by the next statement, so an outage ends when PostgreSQL is back without restarting the
 * process; readiness (`ping`) reports it meanwhile.
 */
export function createPostgres(options: CreatePostgresOptions): Postgres {
  const { url, applicationName, logger } = options;
  const schema = options.schema ?? 'public';
  const secrets = secretsOf(url);
  if (!APPLICATION_NAME.test(applicationName)) {
    throw new RangeError(
      'PostgreSQL applicationName must be 1 to 63 letters, digits, dots, colons, underscores or hyphens',
    );
  }
  if (!IDENTIFIER.test(schema)) {
    throw new RangeError(
      'PostgreSQL schema must be 1 to 63 lower-case letters, digits or underscores, not first a digit',
    );
  }
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  assertPositiveInt(maxConnections, 'maxConnections');
  assertPositiveInt(connectTimeoutMs, 'connectTimeoutMs');
  assertPositiveInt(statementTimeoutMs, 'statementTimeoutMs');

  const pool = new Pool({
    connectionString: url,
    application_name: applicationName,
    // The schema is checked against IDENTIFIER above, so it needs no quoting here.
    options: `-c search_path=${schema}`,
    max: maxConnections,
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle connection the server drops (restart, admin kill) is reported here; without a listener it would crash
  // the process. The pool replaces it on the next statement.
  pool.on('error', (error) => {
    logger.warn({ applicationName, ...describeError(error, secrets) }, 'postgres idle connection lost');
  });

  const run = async <Row extends object>(
    on: Pool | PoolClient,
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<QueryResult<Row>> => {
    try {
      // Without params node-postgres sends a simple query, which allows several statements (migrations).
      const result = params.length === 0 ? await on.query(sql) : await on.query(sql, [...params]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw toHubError(error, secrets);
    }
  };

  // A checked-out connection that the server drops between statements reports it here (the pool only listens while
  // it is idle); unheard, the error would crash the process. Its next statement then fails as unavailable.
  const checkOut = async (lostMessage: string) => {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw toHubError(error, secrets);
    }
    const onError = (error: Error) => {
      logger.warn({ applicationName, ...describeError(error, secrets) }, lostMessage);
    };
    client.on('error', onError);
    const release = (destroy: boolean) => {
      client.off('error', onError);
      client.release(destroy);
    };
    return { client, release };
  };

  let closing: Promise<void> | undefined;

  return {
    schema,
    query: (sql, params) => run(pool, sql, params),

    async transaction(work) {
      const { client, release } = await checkOut('postgres connection lost in a transaction');
      const tx: Queryable = { query: (sql, params) => run(client, sql, params) };
      let broken = false;
      try {
        await run(client, 'BEGIN');
        const result = await work(tx);
        await run(client, 'COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        release(broken);
      }
    },

    async session(work) {
      const { client, release } = await checkOut('postgres session connection lost');
      try {
        return await work({ query: (sql, params) => run(client, sql, params) });
      } finally {
        // Closed, not pooled: the session's locks and settings end with it.
        release(true);
      }
    },

    async ping(timeoutMs) {
      assertPositiveInt(timeoutMs, 'timeoutMs');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          const cause = new Error(`no answer to SELECT 1 within ${timeoutMs} ms`);
          reject(new DependencyUnavailableError('postgres', { cause }));
        }, timeoutMs);
      });
      const answered = run<{ ok: number }>(pool, 'SELECT 1 AS ok');
      // A ping that lost the race still settles later (the pool's connect timeout ends it); nobody awaits it.
      answered.catch(() => undefined);
      try {
        const { rows } = await Promise.race([answered, timedOut]);
        if (rows[0]?.ok !== 1) throw new Error('PostgreSQL answered SELECT 1 with something other than 1');
      } finally {
        clearTimeout(timer);
      }
    },

    close(timeoutMs = 5_000) {
      closing ??= Promise.race([
        pool.end().catch(() => undefined),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]);
      return closing;
    },
  };
}

/** Validates the URL without ever putting it in an error message; returns what must never reach a log line. */
export function secretsOf(url: string): readonly string[] {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (
    parsed === undefined ||
    (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') ||
    parsed.hostname === ''
  ) {
    throw new TypeError('PostgreSQL URL must be postgres://user@host:port/database (value not shown)');
  }
  const secrets = new Set<string>([url]);
  if (parsed.password !== '') {
    secrets.add(parsed.password);
    try {
      secrets.add(decodeURIComponent(parsed.password));
    } catch {
      // not percent-encoded: the raw form is already listed
    }
  }
  return [...secrets].sort((a, b) => b.length - a.length);
}

function assertPositiveInt(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
}
