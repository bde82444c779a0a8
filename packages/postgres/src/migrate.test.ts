import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { checkList, MigrationError, plan, type Migration } from './migrate.ts';

const ONE: Migration = { version: 1, name: 'create_a', sql: 'CREATE TABLE a (id integer)' };
const TWO: Migration = { version: 2, name: 'create_b', sql: 'CREATE TABLE b (id integer)' };
const THREE: Migration = { version: 3, name: 'create_c', sql: 'CREATE TABLE c (id integer)' };

const recordOf = (migration: Migration) => ({
  version: migration.version,
  name: migration.name,
  checksum: createHash('sha256').update(migration.sql).digest('hex'),
});

describe('plan: what is left to apply, or why the database and the code disagree', () => {
  it('is every migration on an empty schema, the missing tail on an older one, nothing on a current one', () => {
    expect(plan([ONE, TWO, THREE], [])).toEqual([ONE, TWO, THREE]);
    expect(plan([ONE, TWO, THREE], [recordOf(ONE)])).toEqual([TWO, THREE]);
    expect(plan([ONE, TWO], [recordOf(ONE), recordOf(TWO)])).toEqual([]);
  });

  it('refuses a version the code does not know', () => {
    expect(() => plan([ONE], [recordOf(ONE), recordOf(TWO)])).toThrow(
      new MigrationError(
        'the database has migration 2 (create_b), which this code does not know (it knows up to 1): a newer ' +
          'release has migrated it. Run that release or a later one; this one will not start on a schema it does ' +
          'not know.',
      ),
    );
  });

  it('refuses an applied migration renamed or edited', () => {
    expect(() => plan([{ ...ONE, name: 'create_aa' }], [recordOf(ONE)])).toThrow(/migration 1 was applied as create_a/);
    expect(() => plan([{ ...ONE, sql: `${ONE.sql};` }], [recordOf(ONE)])).toThrow(/with other SQL/);
  });

  it('refuses a migration slipped in below the latest applied one', () => {
    expect(() => plan([ONE, TWO, THREE], [recordOf(ONE), recordOf(THREE)])).toThrow(
      'migration 2 (create_b) is not applied, but the later 3 is',
    );
  });
});

describe('checkList: the list as the code declares it', () => {
  it('accepts increasing versions with gaps, and an empty list', () => {
    expect(() => {
      checkList([ONE, THREE]);
      checkList([]);
    }).not.toThrow();
  });

  it.each([
    ['a version repeated', [ONE, ONE]],
    ['versions out of order', [TWO, ONE]],
    ['version 0', [{ ...ONE, version: 0 }]],
    ['a fractional version', [{ ...ONE, version: 1.5 }]],
    ['a version beyond integer', [{ ...ONE, version: 2 ** 31 }]],
  ])('refuses %s', (_, migrations) => {
    expect(() => {
      checkList(migrations);
    }).toThrow(/must be positive integers in increasing order/);
  });

  it.each(['Create_A', 'create-a', 'create a', '_create', 'x'.repeat(101)])('refuses the name %j', (name) => {
    expect(() => {
      checkList([{ ...ONE, name }]);
    }).toThrow("migration 1's name must be lower-case words joined by underscores");
  });

  it('refuses a migration without SQL', () => {
    expect(() => {
      checkList([{ ...ONE, sql: '  \n' }]);
    }).toThrow('migration 1 (create_a) has no SQL');
  });
});
