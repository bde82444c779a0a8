import type { Migration } from '@hub/postgres';

/**
 * The verifiable log's tables (versions 10 to 19 of services/audit/src/migrations.ts). Like the events they index,
 * they are a view: rebuilt by replaying `audit.sequence.v1` and `audit.checkpoints.v1` over the rebuilt events.
 */
export const AUDIT_LOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 10,
    name: 'create_audit_log',
    sql: `
      -- The tree as the applier left it: its size and root, how far each partition of audit.events.v1 is
      -- sequenced (the last applied record's upTo), and the offset of audit.sequence.v1 after the last record
      -- handled (applied, or skipped as stale), so a redelivered record is recognised.
      CREATE TABLE audit_log_state (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        size bigint NOT NULL CHECK (size >= 0),
        root bytea NOT NULL CHECK (length(root) = 32),
        up_to jsonb NOT NULL,
        sequence_offset bigint NOT NULL
      );
      -- The empty tree: size 0, root SHA-256 of nothing (RFC 9162 MTH({})).
      INSERT INTO audit_log_state (size, root, up_to, sequence_offset)
        VALUES (0, '\\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '[]', 0);

      -- C2SP tlog-tiles hash tiles as they stand at the tree's size: tile <index> of tile level <level> holds up
      -- to 256 hashes of tree level 8 * level. A partial tile grows until full; a full tile never changes.
      CREATE TABLE audit_log_tiles (
        level smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
        index bigint NOT NULL CHECK (index >= 0),
        hashes bytea NOT NULL CHECK (length(hashes) BETWEEN 32 AND 8192 AND length(hashes) % 32 = 0),
        PRIMARY KEY (level, index)
      );

      -- Every checkpoint signed (one per size: Ed25519 is deterministic, so a size signed twice is the same note),
      -- the latest cosigned note of that size, and whether the root matches the tree at that size (null until the
      -- tree has reached it; false is an alarm).
      CREATE TABLE audit_log_checkpoints (
        size bigint PRIMARY KEY CHECK (size >= 0),
        root bytea NOT NULL CHECK (length(root) = 32),
        note text NOT NULL,
        signed_at timestamptz NOT NULL,
        cosigned_note text,
        witnesses text[] NOT NULL DEFAULT '{}',
        tree_root_matches boolean
      );
      CREATE INDEX audit_log_checkpoints_cosigned ON audit_log_checkpoints (size) WHERE cosigned_note IS NOT NULL;
    `,
  },
];
