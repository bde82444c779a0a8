import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '@hub/errors';
import { captureLogs, isolatedPostgresSchema, testEndpoints } from '@hub/testkit';
import { createPostgres, migrate, PostgresQueryError, type Postgres } from './index.ts';

const { postgresUrl } = testEndpoints();
const logs = captureLogs('postgres-int-test');
const opened: Postgres[] = [];
const servers: Server[] = [];
const accepted: Socket[] = [];
const schema = isolatedPostgresSchema();

function client(url = postgresUrl): Postgres {
  const postgres = createPostgres({ url, applicationName: 'postgres-int-test', logger: logs.logger, schema });
  opened.push(postgres);
  return postgres;
}

/** A TCP server on 127.0.0.1: `silent` accepts connections and never answers; otherwise it is closed again at once. */
async function tcpServer(silent: boolean): Promise<number> {
  const server = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  if (silent) {
    servers.push(server);
  } else {
    await new Promise((resolve) => server.close(resolve));
  }
  return address.port;
}

const PASSWORD = 'Sup3r-S3cret-Passw0rd';
// Values a statement might carry: an NHS number and a name. Neither may reach an error or a log line.
const NHS_NUMBER = '9434765919';
const NAME = 'Jane Example-Person';

const main = client();
await migrate(
  main,
  [{ version: 1, name: 'create_people', sql: 'CREATE TABLE people (nhs_number text PRIMARY KEY, id uuid)' }],
  { logger: logs.logger },
);

afterAll(async () => {
  await main.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  for (const socket of accepted) socket.destroy();
  for (const server of servers) server.close();
  await Promise.all(opened.map((postgres) => postgres.close()));
});

async function eventually(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Everything an error would show a logger: its message, its fields and its cause's. */
function everything(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return [String(error), JSON.stringify(error), String(cause), JSON.stringify(cause)].join('\n');
}

describe('ping', () => {
  it('answers when PostgreSQL does', async () => {
    await expect(main.ping(5_000)).resolves.toBeUndefined();
  });

  it('fails at once as DependencyUnavailableError on a port nothing listens on, never naming the password', async () => {
    const down = client(`postgres://hub:${PASSWORD}@127.0.0.1:${await tcpServer(false)}/hub`);
    const error: unknown = await down.ping(5_000).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ dependency: 'postgres', cause: { code: 'ECONNREFUSED' } });
    expect(everything(error)).not.toContain(PASSWORD);
  });

  it('gives up after its timeout when the server accepts and never answers', async () => {
    const silent = client(`postgres://hub@127.0.0.1:${await tcpServer(true)}/hub`);
    const error: unknown = await silent.ping(300).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).cause).toMatchObject({ message: 'no answer to SELECT 1 within 300 ms' });
  });
});

describe('errors and logs carry no values', () => {
  it('a unique violation names the constraint, not the key', async () => {
    await main.query('INSERT INTO people (nhs_number) VALUES ($1)', [NHS_NUMBER]);
    const error: unknown = await main
      .query('INSERT INTO people (nhs_number) VALUES ($1)', [NHS_NUMBER])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PostgresQueryError);
    expect(error).toMatchObject({ code: '23505', constraint: 'people_pkey', table: 'people' });
    expect(everything(error)).not.toContain(NHS_NUMBER);
  });

  it('a value the server cannot read is not quoted back', async () => {
    const error: unknown = await main
      .query('SELECT * FROM people WHERE id = $1', [NAME])
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'PostgresQueryError', code: '22P02' }); // invalid_text_representation
    expect(everything(error)).not.toContain(NAME);
  });

  it('nothing logged by this file names a value or the password', () => {
    expect(logs.text()).not.toContain(NHS_NUMBER);
    expect(logs.text()).not.toContain(NAME);
    expect(logs.text()).not.toContain(PASSWORD);
  });
});

describe('transaction', () => {
  it('commits what the work wrote, and rolls all of it back when the work throws', async () => {
    await main.transaction(async (tx) => {
      await tx.query('INSERT INTO people (nhs_number) VALUES ($1)', ['1111111111']);
    });
    const failed = main.transaction(async (tx) => {
      await tx.query('INSERT INTO people (nhs_number) VALUES ($1)', ['2222222222']);
      throw new Error('the work failed');
    });
    await expect(failed).rejects.toThrow('the work failed');
    const { rows } = await main.query<{ nhs_number: string }>(
      "SELECT nhs_number FROM people WHERE nhs_number IN ('1111111111', '2222222222')",
    );
    expect(rows).toEqual([{ nhs_number: '1111111111' }]);
  });

  it('fails as unavailable when the server drops its connection mid-way, without crashing, and the pool goes on', async () => {
    const failed = main.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await main.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      // The connection is dropped while no statement of it runs: the error arrives as an event, not a reply.
      await eventually(() => logs.lines().some((line) => line['msg'] === 'postgres connection lost in a transaction'));
      await tx.query('SELECT 1');
    });
    await expect(failed).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(main.ping(5_000)).resolves.toBeUndefined();
  });
});

describe('session', () => {
  const LOCK = 'SELECT pg_try_advisory_lock(hashtext($1)) AS locked';
  const key = `session-test-${schema}`;

  it('holds one connection for its work, and its session lock ends with it', async () => {
    const other = client();
    await main.session(async (connection) => {
      const first = await connection.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const locked = await connection.query<{ locked: boolean }>(LOCK, [key]);
      expect(locked.rows[0]?.locked).toBe(true);
      // The same connection throughout, and another session cannot take the lock meanwhile.
      const again = await connection.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(again.rows[0]?.pid).toBe(first.rows[0]?.pid);
      expect((await other.query<{ locked: boolean }>(LOCK, [key])).rows[0]?.locked).toBe(false);
      // Never unlocked here: closing the connection must release it.
    });
    // The server releases it when the closed connection's backend exits, a moment after the close.
    await expect
      .poll(async () => (await other.query<{ locked: boolean }>(LOCK, [key])).rows[0]?.locked, { timeout: 5_000 })
      .toBe(true);
    await other.query('SELECT pg_advisory_unlock_all()');
    await other.close();
  });

  it('fails as unavailable when the server drops its connection, without crashing', async () => {
    const failed = main.session(async (connection) => {
      const { rows } = await connection.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await main.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await eventually(() => logs.lines().some((line) => line['msg'] === 'postgres session connection lost'));
      await connection.query('SELECT 1');
    });
    await expect(failed).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(main.ping(5_000)).resolves.toBeUndefined();
  });
});
