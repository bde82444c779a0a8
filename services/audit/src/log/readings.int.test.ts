import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgres, migrate, type Postgres } from '@hub/postgres';
import { dropTestSchemas } from '@hub/postgres/testing';
import { captureLogs, isolatedPostgresSchema, testEndpoints } from '@hub/testkit';
import { AUDIT_LOG_MIGRATIONS } from './migrations.ts';
import { auditLogReadings } from './readings.ts';

// What /metrics says of the audit log (hub_audit_log_*), read from the log's own tables on a real PostgreSQL.

const { postgresUrl } = testEndpoints();
const schema = isolatedPostgresSchema();
const logs = captureLogs('audit-log-readings');
let postgres: Postgres;

beforeAll(async () => {
  postgres = createPostgres({ url: postgresUrl, applicationName: 'audit-log-readings', logger: logs.logger, schema });
  await migrate(postgres, AUDIT_LOG_MIGRATIONS, { logger: logs.logger });
});
afterAll(async () => {
  await postgres.close();
  await dropTestSchemas(postgresUrl, schema);
});

const ROOT = Buffer.alloc(32, 7);

async function checkpoint(size: number, signedAt: string, matches: boolean | null): Promise<void> {
  await postgres.query(
    'INSERT INTO audit_log_checkpoints (size, root, note, signed_at, tree_root_matches) VALUES ($1, $2, $3, $4, $5)',
    [size, ROOT, `note ${size}`, signedAt, matches],
  );
}

describe('auditLogReadings', () => {
  it('reads an empty log: no leaves, no checkpoint, no mismatch', async () => {
    expect(await auditLogReadings(postgres)).toEqual({
      auditLog: { leaves: 0, checkpoint: undefined, checkpointMismatches: 0 },
    });
  });

  it("reads the tree's size, the latest checkpoint by size and the checkpoints that disagree with the tree", async () => {
    await postgres.query('UPDATE audit_log_state SET size = 12');
    await checkpoint(8, '2026-11-21T11:59:00Z', true);
    await checkpoint(10, '2026-11-21T11:59:30Z', null);
    expect(await auditLogReadings(postgres)).toEqual({
      auditLog: {
        leaves: 12,
        checkpoint: { leaves: 10, signedAt: new Date('2026-11-21T11:59:30Z') },
        checkpointMismatches: 0,
      },
    });
    // A stored checkpoint whose root is not the tree's: the log was rewritten.
    await postgres.query('UPDATE audit_log_checkpoints SET tree_root_matches = false WHERE size = 8');
    expect((await auditLogReadings(postgres)).auditLog?.checkpointMismatches).toBe(1);
  });
});
