import { describe, expect, it } from 'vitest';
import { decodeEntryBundle, encodeEntryBundle } from './entry-bundles.ts';
import { MemoryTree } from './memory-tree.ts';
import { rootHash, type NodeReader } from './merkle.ts';
import { consistencyProof, inclusionProof, requiredNodes } from './proofs.ts';
import {
  buildTile,
  decodeTile,
  encodeTile,
  tileOfNode,
  tilePath,
  tileReader,
  tilesForNodes,
  tilesOfTree,
  tileWidth,
  type TileRef,
} from './tiles.ts';
import { hex } from './test-vectors.ts';

function treeOf(size: number): MemoryTree {
  const tree = new MemoryTree();
  for (let i = 0; i < size; i += 1) tree.appendEntry(Buffer.from(`entry ${i}`));
  return tree;
}

/** Tiles as a log would serve them for `size`, keyed by path, and a reader that counts what it fetches. */
function served(tree: NodeReader, size: number) {
  const tiles = new Map(tilesOfTree(size).map((tile) => [key(tile), buildTile(tile, tree)]));
  const fetched = new Set<string>();
  const reader = tileReader(size, (tile) => {
    fetched.add(key(tile));
    const bytes = tiles.get(key(tile));
    if (bytes === undefined) throw new Error(`no such tile ${key(tile)}`);
    return bytes;
  });
  return { tiles, reader, fetched };
}

const key = (tile: TileRef): string => tilePath(tile);

describe('tiles (C2SP tlog-tiles)', () => {
  it("counts the spec's example: a tree of 70,000", () => {
    const tiles = tilesOfTree(70_000);
    const level0 = tiles.filter((tile) => tile.level === 0);
    expect(level0.filter((tile) => tile.width === 256)).toHaveLength(273);
    expect(level0.filter((tile) => tile.width < 256)).toEqual([{ level: 0, index: 273, width: 112 }]);
    expect(tiles.filter((tile) => tile.level === 1)).toEqual([
      { level: 1, index: 0, width: 256 },
      { level: 1, index: 1, width: 17 },
    ]);
    expect(tiles.filter((tile) => tile.level === 2)).toEqual([{ level: 2, index: 0, width: 1 }]);
    expect(tiles).toHaveLength(273 + 1 + 2 + 1);
  });

  it("counts the spec's other example: a tree of 256 is a full level-0 tile and a level-1 tile of width 1", () => {
    expect(tilesOfTree(256)).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 1 },
    ]);
    expect(tilesOfTree(0)).toEqual([]);
    expect(tileWidth(0, 1, 256)).toBe(0);
  });

  it('gives the same root and proofs from tiles as from the tree, on sizes around the tile edges', () => {
    const tree = treeOf(70_000);
    for (const size of [1, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 70_000]) {
      const { reader } = served(tree, size);
      expect(hex(rootHash(size, reader)), `root at ${size}`).toBe(hex(tree.root(size)));
      const index = Math.floor(size / 3);
      expect(inclusionProof(index, size, reader).map(hex)).toEqual(inclusionProof(index, size, tree).map(hex));
      if (size > 1) {
        const old = Math.ceil(size / 2);
        expect(consistencyProof(old, size, reader).map(hex)).toEqual(consistencyProof(old, size, tree).map(hex));
      }
    }
  });

  it('names the tiles a proof needs, and those tiles are all it reads', () => {
    const tree = treeOf(70_000);
    const size = 70_000;
    const index = 1_234;
    const needed = tilesForNodes(
      requiredNodes((r) => inclusionProof(index, size, r)),
      size,
    );
    const { reader, fetched } = served(tree, size);
    inclusionProof(index, size, reader);
    expect([...fetched].sort()).toEqual(needed.map(key).sort());
    // Leaf 1234's siblings up to level 15 (its level-0 tile 4 and level-1 tile 0), then the right edge beyond
    // 65,536: 4,096 + 256 leaves from the partial level-1 tile, the last 112 from the partial level-0 tile 273.
    expect(needed.map(key).sort()).toEqual(['tile/0/004', 'tile/0/273.p/112', 'tile/1/000', 'tile/1/001.p/17']);
  });

  it('places a node in the tile holding its hashes and refuses one outside the tree', () => {
    expect(tileOfNode({ level: 0, index: 300 }, 70_000)).toEqual({ level: 0, index: 1, width: 256 });
    expect(tileOfNode({ level: 3, index: 40 }, 70_000)).toEqual({ level: 0, index: 1, width: 256 });
    expect(tileOfNode({ level: 8, index: 257 }, 70_000)).toEqual({ level: 1, index: 1, width: 17 });
    expect(() => tileOfNode({ level: 0, index: 70_000 }, 70_000)).toThrow(/invalid-argument/);
    expect(() => tileOfNode({ level: 8, index: 273 }, 70_000)).toThrow(/invalid-argument/);
  });

  it('names full and partial tiles and entry bundles by their paths', () => {
    expect(tilePath({ level: 0, index: 273, width: 112 })).toBe('tile/0/273.p/112');
    expect(tilePath({ level: 0, index: 273, width: 112 }, 'entries')).toBe('tile/entries/273.p/112');
    expect(tilePath({ level: 1, index: 1234067, width: 256 })).toBe('tile/1/x001/x234/067');
    expect(() => tilePath({ level: 1, index: 0, width: 256 }, 'entries')).toThrow(/invalid-argument/);
  });

  it('encodes a tile as concatenated hashes and refuses a wrong length', () => {
    const tree = treeOf(3);
    const hashes = [0, 1, 2].map((i) => tree.hashAt(0, i));
    const bytes = encodeTile(hashes);
    expect(bytes).toHaveLength(96);
    expect(decodeTile(bytes, 3).map(hex)).toEqual(hashes.map(hex));
    expect(() => decodeTile(bytes, 2)).toThrow(/malformed-tile/);
    expect(() => decodeTile(bytes.subarray(0, 95), 3)).toThrow(/malformed-tile/);
    expect(() => encodeTile([])).toThrow(/malformed-tile/);
    expect(() => encodeTile([hashes[0]!.subarray(1)])).toThrow(/bad-hash-size/);
  });
});

describe('entry bundles (C2SP tlog-tiles)', () => {
  it('writes big-endian uint16 length-prefixed entries and reads them back', () => {
    const entries = [Buffer.from(''), Buffer.from('a'), Buffer.alloc(300, 7)];
    const bytes = encodeEntryBundle(entries);
    expect(bytes.subarray(0, 5).toString('hex')).toBe('0000000161');
    expect(bytes.readUInt16BE(5)).toBe(300);
    expect(decodeEntryBundle(bytes).map(hex)).toEqual(entries.map(hex));
  });

  it('refuses a cut entry, a cut length, an empty bundle, too many entries and an entry too long', () => {
    const bytes = encodeEntryBundle([Buffer.from('abc')]);
    expect(() => decodeEntryBundle(bytes.subarray(0, 4))).toThrow(/malformed-bundle/);
    expect(() => decodeEntryBundle(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/malformed-bundle/);
    expect(() => decodeEntryBundle(new Uint8Array())).toThrow(/malformed-bundle/);
    expect(() => decodeEntryBundle(Buffer.alloc(2 * 257))).toThrow(/malformed-bundle/);
    expect(() => encodeEntryBundle([Buffer.alloc(65_536)])).toThrow(/malformed-bundle/);
    expect(() => encodeEntryBundle(Array.from({ length: 257 }, () => Buffer.from('x')))).toThrow(/malformed-bundle/);
  });
});
