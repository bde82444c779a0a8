import { DatabaseError } from 'pg';
import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '@hub/errors';
import { createPostgres, secretsOf } from './client.ts';
import { isPostgresUnavailable, PostgresQueryError, toHubError } from './errors.ts';

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

/** A server error as node-postgres builds it from the wire. */
function serverError(code: string, message: string, fields: Partial<DatabaseError> = {}): DatabaseError {
  return Object.assign(new DatabaseError(message, 0, 'error'), { code, ...fields });
}

describe('createPostgres refuses bad options without echoing them', () => {
  it('a URL that is not postgres://, never shown', () => {
    const url = 'mysql://user:Secret-123@db:3306/hub';
    expect(() => createPostgres({ url, applicationName: 'test', logger })).toThrow(
      'PostgreSQL URL must be postgres://user@host:port/database (value not shown)',
    );
  });

  it.each(['Public', 'a-b', '1abc', 'x'.repeat(64), 'public; DROP TABLE x'])('the schema %j', (schema) => {
    expect(() =>
      createPostgres({ url: 'postgres://hub@127.0.0.1:5433/hub', applicationName: 'test', logger, schema }),
    ).toThrow(/PostgreSQL schema must be 1 to 63 lower-case letters/);
  });

  it('lists the password, raw and decoded, as secrets, longest first', () => {
    expect(secretsOf('postgres://hub:p%40ss@127.0.0.1:5433/hub')).toEqual([
      'postgres://hub:p%40ss@127.0.0.1:5433/hub',
      'p%40ss',
      'p@ss',
    ]);
  });
});

describe('errors leave the package without values', () => {
  it('keeps the code and object names of a refused statement, never its DETAIL', () => {
    const error = toHubError(
      serverError('23505', 'duplicate key value violates unique constraint "people_pkey"', {
        detail: 'Key (nhs_number)=(9434765919) already exists.',
        table: 'people',
        constraint: 'people_pkey',
      }),
      [],
    );
    expect(error).toBeInstanceOf(PostgresQueryError);
    expect(error).toMatchObject({ code: '23505', table: 'people', constraint: 'people_pkey' });
    expect(JSON.stringify(error) + String(error)).not.toContain('9434765919');
  });

  it('withholds the message of the classes that quote a value', () => {
    const error = toHubError(serverError('22P02', 'invalid input syntax for type uuid: "Jane Example"'), []);
    expect(String(error)).not.toContain('Jane');
    expect(String(error)).toContain('22P02');
  });

  it('types an outage as DependencyUnavailableError with a scrubbed cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' });
    const error = toHubError(refused, []);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as Error).cause).not.toBe(refused);
    expect(isPostgresUnavailable(serverError('57P01', 'terminating connection due to administrator command'))).toBe(
      true,
    );
    expect(isPostgresUnavailable(serverError('23505', 'duplicate key'))).toBe(false);
    const withPassword = new Error('Connection terminated: postgres://hub:Secret-123@db/hub');
    expect(String((toHubError(withPassword, ['Secret-123']) as Error).cause)).not.toContain('Secret-123');
  });
});
