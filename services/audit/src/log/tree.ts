import type { Queryable } from '@hub/postgres';
import {
  HASH_SIZE,
  TILE_HEIGHT,
  TILE_WIDTH,
  appendLeaves,
  consistencyProof,
  inclusionProof,
  requiredNodes,
  rootHash,
  tileReader,
  tileWidth,
  tilesForNodes,
  type NodeReader,
  type TileRef,
} from '@hub/tlog';

// The Merkle tree in PostgreSQL, as C2SP tlog-tiles hash tiles (`audit_log_tiles`): every computation (a root, a
// proof, an append) first asks @hub/tlog which tiles it reads, loads those in one query, then runs over them. So
// nothing ever rereads the log: a proof reads at most a few tiles, an append the right edge.

/** The stored tree disagrees with itself (a tile missing or short): never answered as if it were fine. */
export class LogIntegrityError extends Error {
  override readonly name = 'LogIntegrityError';
}

const keyOf = (level: number, index: number): string => `${level}/${index}`;

interface TileRow {
  readonly level: number;
  readonly index: string;
  readonly hashes: Buffer;
}

/** The stored contents of these tiles (as stored: their width at the tree's current size, at least what is asked). */
async function loadTiles(q: Queryable, tiles: readonly TileRef[]): Promise<Map<string, Buffer>> {
  if (tiles.length === 0) return new Map();
  const { rows } = await q.query<TileRow>(
    `SELECT level, index, hashes FROM audit_log_tiles
      WHERE (level, index) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))`,
    [tiles.map((tile) => tile.level), tiles.map((tile) => tile.index)],
  );
  return new Map(rows.map((row) => [keyOf(row.level, Number(row.index)), row.hashes]));
}

function readerOver(size: number, tiles: ReadonlyMap<string, Buffer>): NodeReader {
  return tileReader(size, (tile) => {
    const stored = tiles.get(keyOf(tile.level, tile.index));
    if (stored === undefined || stored.length < tile.width * HASH_SIZE) {
      throw new LogIntegrityError(`tile ${tile.level}/${tile.index} is missing or shorter than ${tile.width} hashes`);
    }
    return stored.subarray(0, tile.width * HASH_SIZE);
  });
}

/** Runs `compute` over the tree of `size` leaves (at most the stored size), loading exactly the tiles it reads. */
export async function overTree<R>(q: Queryable, size: number, compute: (reader: NodeReader) => R): Promise<R> {
  const tiles = tilesForNodes(requiredNodes(compute), size);
  return compute(readerOver(size, await loadTiles(q, tiles)));
}

export function rootAt(q: Queryable, size: number): Promise<Uint8Array> {
  return overTree(q, size, (reader) => rootHash(size, reader));
}

export function inclusionProofAt(q: Queryable, index: number, size: number): Promise<Uint8Array[]> {
  return overTree(q, size, (reader) => inclusionProof(index, size, reader));
}

export function consistencyProofAt(q: Queryable, from: number, to: number): Promise<Uint8Array[]> {
  return overTree(q, to, (reader) => consistencyProof(from, to, reader));
}

/** Each tile level's partial tile at `size` (the one new hashes extend), if it has one. */
function partialTiles(size: number): TileRef[] {
  const tiles: TileRef[] = [];
  for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level += 1) {
    const hashes = Math.floor(size / TILE_WIDTH ** level);
    const width = hashes % TILE_WIDTH;
    if (width > 0) tiles.push({ level, index: Math.floor(hashes / TILE_WIDTH), width });
  }
  return tiles;
}

/**
 * Integrates leaves into the tree of `size` (RFC 9162 append, @hub/tlog `appendLeaves`): every tile the new hashes
 * extend or start is written whole, in the caller's transaction. Returns the root of the grown tree.
 */
export async function integrate(q: Queryable, size: number, leafHashes: readonly Uint8Array[]): Promise<Uint8Array> {
  const edge = tilesForNodes(
    requiredNodes((reader) => appendLeaves(size, leafHashes, reader)),
    size,
  );
  const loaded = await loadTiles(q, [...edge, ...partialTiles(size)]);
  const created = appendLeaves(size, leafHashes, readerOver(size, loaded));
  const tiles = new Map<string, { level: number; index: number; hashes: Uint8Array[] }>();
  for (const node of created) {
    // A tile holds the hashes of every eighth tree level; the levels between are recomputed from it.
    if (node.level % TILE_HEIGHT !== 0) continue;
    const level = node.level / TILE_HEIGHT;
    const index = Math.floor(node.index / TILE_WIDTH);
    let tile = tiles.get(keyOf(level, index));
    if (tile === undefined) {
      const width = tileWidth(level, index, size);
      const stored = loaded.get(keyOf(level, index)) ?? Buffer.alloc(0);
      if (stored.length < width * HASH_SIZE) throw new LogIntegrityError(`tile ${level}/${index} is short`);
      const hashes = Array.from({ length: width }, (_, i) => stored.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
      tile = { level, index, hashes };
      tiles.set(keyOf(level, index), tile);
    }
    if (node.index % TILE_WIDTH !== tile.hashes.length) {
      throw new LogIntegrityError(`tile ${level}/${index} would not grow contiguously`);
    }
    tile.hashes.push(node.hash);
  }
  const written = [...tiles.values()];
  await q.query(
    `INSERT INTO audit_log_tiles (level, index, hashes)
       SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])
     ON CONFLICT (level, index) DO UPDATE SET hashes = EXCLUDED.hashes`,
    [
      written.map((tile) => tile.level),
      written.map((tile) => tile.index),
      written.map((tile) => Buffer.concat(tile.hashes)),
    ],
  );
  const grown = size + leafHashes.length;
  return rootAt(q, grown);
}

/** A stored tile's hashes as served at `width` (a prefix of what is stored), or undefined when it is not that wide yet. */
export async function readTile(q: Queryable, level: number, index: number, width: number): Promise<Buffer | undefined> {
  const { rows } = await q.query<{ hashes: Buffer }>(
    'SELECT hashes FROM audit_log_tiles WHERE level = $1 AND index = $2',
    [level, index],
  );
  const stored = rows[0]?.hashes;
  if (stored === undefined || stored.length < width * HASH_SIZE) return undefined;
  return stored.subarray(0, width * HASH_SIZE);
}
