import type { Queryable } from '@hub/postgres';
import { TILE_WIDTH, encodeEntryBundle, type LogSource } from '@hub/tlog';
import { latestCheckpoint } from '../log/checkpoints.ts';
import { readTile } from '../log/tree.ts';

/**
 * The log as the hub stores it, as a `LogSource` for `@hub/tlog`'s `verifyLog`: the stored checkpoints and tiles, and
 * each leaf's entry from `audit_events`. Served as stored, never repaired: a row missing makes a short bundle, which
 * the verifier names, where the HTTP route refuses to answer at all.
 */
export function postgresLogSource(postgres: Queryable): LogSource {
  return {
    checkpoint: async () => (await latestCheckpoint(postgres))?.note,
    cosignedCheckpoint: async () => (await latestCheckpoint(postgres, true))?.cosignedNote ?? undefined,
    tile: (level, index, width) => readTile(postgres, level, index, width),
    async entryBundle(index, width) {
      const first = index * TILE_WIDTH;
      const { rows } = await postgres.query<{ entry: Buffer }>(
        'SELECT entry FROM audit_events WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index',
        [first, first + width],
      );
      return rows.length === 0 ? undefined : encodeEntryBundle(rows.map((row) => row.entry));
    },
  };
}
