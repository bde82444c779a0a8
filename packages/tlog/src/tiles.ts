import { TlogError } from './errors.ts';
import { HASH_SIZE, assertCount, assertHash, nodeHash, type NodeId, type NodeReader } from './merkle.ts';
import { formatTilePath } from './tile-paths.ts';

// C2SP tlog-tiles, "Merkle Tree": tile n at level l holds MTH(D[(n*256 + i) * 256**l : (n*256 + i + 1) * 256**l]),
// i from 0 to 255, i.e. the complete subtrees of tree level 8*l; a level-l tile is an 8-level subtree whose hashes
// in between are recomputed from it.

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

/** A tile of hashes as it exists for one tree size: `width` 256 when full, 1 to 255 when partial. */
export interface TileRef {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

/** How many hashes tile `index` at `level` holds in a tree of `size` leaves; 0 when it does not exist yet. */
export function tileWidth(level: number, index: number, size: number): number {
  assertCount(size, 'size');
  const hashesAtLevel = Math.floor(size / TILE_WIDTH ** level);
  return Math.max(0, Math.min(TILE_WIDTH, hashesAtLevel - index * TILE_WIDTH));
}

/**
 * Where `tile` is served: `tile/<L>/<N>`, with `.p/<W>` when partial. With `entries`, the entry bundle of the same
 * leaves (a level-0 tile only): `tile/entries/<N>[.p/<W>]`.
 */
export function tilePath(tile: TileRef, kind: 'hashes' | 'entries' = 'hashes'): string {
  const width = tile.width < TILE_WIDTH ? { width: tile.width } : {};
  if (kind === 'hashes') return formatTilePath({ kind, level: tile.level, index: tile.index, ...width });
  if (tile.level !== 0) throw new TlogError('invalid-argument', 'entry bundles go with level-0 tiles');
  return formatTilePath({ kind, index: tile.index, ...width });
}

/** Every tile a tree of `size` leaves is served as (the partial tile of each level last), bottom level first. */
export function tilesOfTree(size: number): TileRef[] {
  assertCount(size, 'size');
  const tiles: TileRef[] = [];
  for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level += 1) {
    const hashes = Math.floor(size / TILE_WIDTH ** level);
    for (let index = 0; index * TILE_WIDTH < hashes; index += 1) {
      tiles.push({ level, index, width: tileWidth(level, index, size) });
    }
  }
  return tiles;
}

/** The tile (as served for a tree of `size`) whose hashes give the complete subtree `node`. */
export function tileOfNode(node: NodeId, size: number): TileRef {
  const level = Math.floor(node.level / TILE_HEIGHT);
  const span = 2 ** (node.level - level * TILE_HEIGHT);
  const index = Math.floor((node.index * span) / TILE_WIDTH);
  const width = tileWidth(level, index, size);
  if (((node.index * span) % TILE_WIDTH) + span > width) {
    throw new TlogError('invalid-argument', `the node at level ${node.level}, index ${node.index} is not in the tree`);
  }
  return { level, index, width };
}

/**
 * The tiles to fetch for a set of nodes, each once, in first-use order: with `requiredNodes`, the tiles a proof
 * needs (`tilesForNodes(requiredNodes((r) => inclusionProof(i, size, r)), size)`).
 */
export function tilesForNodes(nodes: readonly NodeId[], size: number): TileRef[] {
  const tiles = new Map<string, TileRef>();
  for (const node of nodes) {
    const tile = tileOfNode(node, size);
    tiles.set(`${tile.level}/${tile.index}`, tile);
  }
  return [...tiles.values()];
}

/** A tile's contents: its hashes concatenated. */
export function encodeTile(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length < 1 || hashes.length > TILE_WIDTH) {
    throw new TlogError('malformed-tile', `a tile holds 1 to ${TILE_WIDTH} hashes, not ${hashes.length}`);
  }
  hashes.forEach((hash, i) => {
    assertHash(hash, `tile hash ${i}`);
  });
  return Buffer.concat(hashes);
}

/** Splits a tile's contents into its hashes, refusing any length but `width` whole hashes. */
export function decodeTile(bytes: Uint8Array, width: number): Buffer[] {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH || bytes.length !== width * HASH_SIZE) {
    throw new TlogError(
      'malformed-tile',
      `a tile of width ${width} is ${width * HASH_SIZE} bytes, not ${bytes.length}`,
    );
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return Array.from({ length: width }, (_, i) => Buffer.from(buffer.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)));
}

/** A tile's contents read from stored complete subtrees (what a log writes, or serves, for `tile`). */
export function buildTile(tile: TileRef, reader: NodeReader): Buffer {
  const treeLevel = tile.level * TILE_HEIGHT;
  return encodeTile(
    Array.from({ length: tile.width }, (_, i) => reader.hashAt(treeLevel, tile.index * TILE_WIDTH + i)),
  );
}

/**
 * A `NodeReader` over tiles of a tree of `size`: `fetchTile` gives a tile's contents (from a cache, a store, or
 * tiles fetched beforehand with `tilesForNodes`); a hash between two tile levels is recomputed from the tile. A
 * client takes `size` from a checkpoint it has verified (the spec: no partial tile a verified size does not need).
 */
export function tileReader(size: number, fetchTile: (tile: TileRef) => Uint8Array): NodeReader {
  return {
    hashAt(level, index) {
      const tile = tileOfNode({ level, index }, size);
      let hashes = decodeTile(fetchTile(tile), tile.width);
      const span = 2 ** (level - tile.level * TILE_HEIGHT);
      const first = (index * span) % TILE_WIDTH;
      hashes = hashes.slice(first, first + span);
      while (hashes.length > 1) {
        const below = hashes;
        hashes = Array.from({ length: below.length / 2 }, (_, i) =>
          nodeHash(below[2 * i] as Buffer, below[2 * i + 1] as Buffer),
        );
      }
      return hashes[0] as Buffer;
    },
  };
}
