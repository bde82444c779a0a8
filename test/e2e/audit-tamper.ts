/*
 * Tampers with a running hub's audit store as someone with database access (but not the log's signing key) would,
 * for the tests that show `./hub audit verify` and the console name each of issue 11's tampers. Each tamper that
 * can be undone returns the function that puts the store back, so one hub serves every case.
 */
import type { Postgres } from '@hub/postgres';
import { leafHash } from '@hub/tlog';
// The log's own tile arithmetic, so a rewritten store is internally consistent (tiles recomputed from the rows).
import { integrate, rootAt } from '../../services/audit/src/log/tree.ts';

/** Far beyond any test log: rows are moved through here (leaf indexes are unique and not negative). */
const ASIDE = 1_000_000_000_000;
/** Where the last leaf waits while an inserted event takes its place (beyond every moved leaf). */
const LAST_ASIDE = 2 * ASIDE;

type Tx = Parameters<Parameters<Postgres['transaction']>[0]>[0];

/** The tree's size, locked so the log's applier waits until the tamper is done. */
async function lockedSize(tx: Tx): Promise<number> {
  const { rows } = await tx.query<{ size: string }>('SELECT size FROM audit_log_state FOR UPDATE');
  return Number(rows[0]?.size ?? 0);
}

/** Recomputes every tile and the state's root from the stored leaf hashes (what the attacker needs for a rewrite). */
async function recomputeTree(tx: Tx, size: number): Promise<void> {
  const { rows } = await tx.query<{ leaf_hash: Buffer }>(
    'SELECT leaf_hash FROM audit_events WHERE leaf_index < $1 ORDER BY leaf_index',
    [size],
  );
  if (rows.length !== size) throw new Error(`the store holds ${rows.length} of ${size} leaves`);
  await tx.query('DELETE FROM audit_log_tiles');
  const root = await integrate(
    tx,
    0,
    rows.map((row) => row.leaf_hash),
  );
  await tx.query('UPDATE audit_log_state SET root = $1', [Buffer.from(root)]);
}

/**
 * Inserts a forged event at leaf `at`, moving the later leaves up one; the last leaf goes aside so the tree keeps
 * its size and the applier's next leaf index stays free.
 */
export async function insertEvent(store: Postgres, at: number): Promise<() => Promise<void>> {
  const size = await store.transaction(async (tx) => {
    const size = await lockedSize(tx);
    const { rows } = await tx.query('SELECT * FROM audit_events WHERE leaf_index = $1', [at]);
    const copied = rows[0];
    if (copied === undefined) throw new Error(`no leaf ${at}`);
    const entry = Buffer.from((copied['entry'] as Buffer).toString('utf8').replace('"eventId":"', '"eventId":"forged'));
    await tx.query('UPDATE audit_events SET leaf_index = leaf_index + $1 WHERE leaf_index >= $2 AND leaf_index < $3', [
      ASIDE,
      at,
      size,
    ]);
    await tx.query(
      'UPDATE audit_events SET leaf_index = leaf_index - $1 + 1 WHERE leaf_index >= $1 AND leaf_index < $2',
      [ASIDE, ASIDE + size - 1],
    );
    await tx.query('UPDATE audit_events SET leaf_index = $1 WHERE leaf_index = $2', [LAST_ASIDE, ASIDE + size - 1]);
    const forged = {
      ...copied,
      event_id: `forged_${String(copied['event_id'])}`,
      kafka_offset: Number(copied['kafka_offset']) + ASIDE,
      entry,
      leaf_hash: Buffer.from(leafHash(entry)),
      leaf_index: at,
    };
    const columns = Object.keys(forged);
    await tx.query(
      `INSERT INTO audit_events (${columns.join(', ')}) SELECT * FROM json_populate_record(NULL::audit_events, $1)`,
      [JSON.stringify(Object.fromEntries(Object.entries(forged).map(([c, v]) => [c, bytesAsHex(v)])))],
    );
    return size;
  });
  return () =>
    store.transaction(async (tx) => {
      await lockedSize(tx);
      await tx.query('DELETE FROM audit_events WHERE leaf_index = $1', [at]);
      await tx.query('UPDATE audit_events SET leaf_index = leaf_index + $1 WHERE leaf_index > $2 AND leaf_index < $3', [
        ASIDE,
        at,
        size,
      ]);
      await tx.query(
        'UPDATE audit_events SET leaf_index = leaf_index - $1 - 1 WHERE leaf_index > $1 AND leaf_index < $2',
        [ASIDE, ASIDE + size],
      );
      await tx.query('UPDATE audit_events SET leaf_index = $1 WHERE leaf_index = $2', [size - 1, LAST_ASIDE]);
    });
}

/**
 * Rewrites every stored event from leaf `from` on and recomputes the leaf hashes, tiles and root to match: from 0,
 * the whole log rewritten; from later, a fork of it. The hub then signs checkpoints of that tree itself; only the
 * checkpoints held before (the witness's, the verifier's) can tell. The returned function puts the events back,
 * recomputes the tree and drops the checkpoints signed over the forged one.
 */
export async function rewriteLog(store: Postgres, from: number): Promise<() => Promise<void>> {
  const originals = await store.transaction(async (tx) => {
    const size = await lockedSize(tx);
    const { rows } = await tx.query<{ leaf_index: string; entry: Buffer }>(
      'SELECT leaf_index, entry FROM audit_events WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index',
      [from, size],
    );
    await setEntries(
      tx,
      rows.map((row) => ({
        leafIndex: row.leaf_index,
        entry: Buffer.from(row.entry.toString('utf8').replace('"action":"', '"action":"rewritten-')),
      })),
    );
    await recomputeTree(tx, size);
    return rows.map((row) => ({ leafIndex: row.leaf_index, entry: row.entry }));
  });
  return async () => {
    await store.transaction(async (tx) => {
      const size = await lockedSize(tx);
      await setEntries(tx, originals);
      await recomputeTree(tx, size);
      await dropCheckpointsNotOf(tx);
    });
    await settled(store, dropCheckpointsNotOf);
  };
}

/** Deletes the stored checkpoints whose root is not the stored tree's at their size (signed over a forged tree). */
async function dropCheckpointsNotOf(tx: Tx): Promise<void> {
  const { rows } = await tx.query<{ size: string; root: Buffer }>('SELECT size, root FROM audit_log_checkpoints');
  for (const checkpoint of rows) {
    const size = Number(checkpoint.size);
    const { rows: tree } = await tx.query<{ size: string }>('SELECT size FROM audit_log_state');
    if (size > Number(tree[0]?.size ?? 0) || !Buffer.from(await rootAt(tx, size)).equals(checkpoint.root)) {
      await tx.query('DELETE FROM audit_log_checkpoints WHERE size = $1', [checkpoint.size]);
    }
  }
}

/**
 * Repeats `cleanup` once the hub has stored what it signed just before the tamper was undone (its checkpoints reach
 * the store through a Kafka topic, a moment later).
 */
async function settled(store: Postgres, cleanup: (tx: Tx) => Promise<void>): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await store.transaction(async (tx) => {
    await lockedSize(tx);
    await cleanup(tx);
  });
}

async function setEntries(tx: Tx, entries: readonly { leafIndex: string; entry: Buffer }[]): Promise<void> {
  await tx.query(
    `UPDATE audit_events e SET entry = v.entry, leaf_hash = v.hash
       FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS v(i, entry, hash) WHERE e.leaf_index = v.i`,
    [entries.map((e) => e.leafIndex), entries.map((e) => e.entry), entries.map((e) => Buffer.from(leafHash(e.entry)))],
  );
}

/**
 * Truncates the log to `size` leaves, as an attacker would hide its tail: the later events and checkpoints deleted,
 * the tiles recomputed and the tree's size set back, so what is left is consistent with itself.
 */
export async function cutLog(store: Postgres, size: number): Promise<void> {
  await store.transaction(async (tx) => {
    await lockedSize(tx);
    await tx.query('DELETE FROM audit_events WHERE leaf_index >= $1', [size]);
    await tx.query('DELETE FROM audit_log_checkpoints WHERE size > $1', [size]);
    await recomputeTree(tx, size);
    await tx.query('UPDATE audit_log_state SET size = $1', [size]);
  });
  await settled(store, async (tx) => {
    await tx.query('DELETE FROM audit_log_checkpoints WHERE size > $1', [size]);
  });
}

/** Wipes the log: its events, tiles, checkpoints and verification history, and the tree's size back to 0. */
export async function wipeLog(store: Postgres): Promise<void> {
  await store.transaction(async (tx) => {
    await lockedSize(tx);
    const { rows } = await tx.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()
          AND table_name IN ('audit_events', 'audit_log_tiles', 'audit_log_checkpoints', 'audit_log_verifications')`,
    );
    await tx.query(`TRUNCATE ${rows.map((row) => row.name).join(', ')}`);
    await tx.query("UPDATE audit_log_state SET size = 0, root = sha256(''::bytea)");
  });
}

/** A bytea read back as a Buffer goes into json_populate_record as PostgreSQL's hex form. */
export function bytesAsHex(value: unknown): unknown {
  return Buffer.isBuffer(value) ? `\\x${value.toString('hex')}` : value;
}
