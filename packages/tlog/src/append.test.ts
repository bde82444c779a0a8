import { describe, expect, it } from 'vitest';
import { appendLeaves, type StoredNode } from './append.ts';
import { MemoryTree } from './memory-tree.ts';
import { leafHash, rootHash, type NodeReader } from './merkle.ts';
import { requiredNodes } from './proofs.ts';
import { RFC6962_LEAVES, RFC6962_NODE_HASHES, RFC6962_ROOTS, hex } from './test-vectors.ts';

/** A store in miniature: the nodes written so far, by level and index. */
function nodeStore() {
  const nodes = new Map<string, Uint8Array>();
  const reader: NodeReader = {
    hashAt(level, index) {
      const hash = nodes.get(`${level}/${index}`);
      if (hash === undefined) throw new Error(`not stored: ${level}/${index}`);
      return hash;
    },
  };
  const write = (written: readonly StoredNode[]) => {
    for (const node of written) {
      expect(nodes.has(`${node.level}/${node.index}`), `rewrote ${node.level}/${node.index}`).toBe(false);
      nodes.set(`${node.level}/${node.index}`, node.hash);
    }
  };
  return { nodes, reader, write };
}

describe('appendLeaves', () => {
  it('writes exactly the published complete subtrees of the RFC 6962 reference tree, in batches of 3 and 5', () => {
    const store = nodeStore();
    const hashes = RFC6962_LEAVES.map((leaf) => leafHash(leaf));
    store.write(appendLeaves(0, hashes.slice(0, 3), store.reader));
    expect(hex(rootHash(3, store.reader))).toBe(RFC6962_ROOTS[3]);
    store.write(appendLeaves(3, hashes.slice(3), store.reader));
    const expected = RFC6962_NODE_HASHES.flatMap((row, level) => row.map((hash, index) => `${level}/${index} ${hash}`));
    expect([...store.nodes].map(([key, hash]) => `${key} ${hex(hash)}`).sort()).toEqual(expected.sort());
    expect(hex(rootHash(8, store.reader))).toBe(RFC6962_ROOTS[8]);
  });

  it('reads only the right edge of the existing tree, so a store can load it first', () => {
    const tree = new MemoryTree();
    for (let i = 0; i < 1007; i += 1) tree.appendEntry(Buffer.from(`entry ${i}`));
    const more = [leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))];
    // 1007 = 512 + 256 + 128 + 64 + 32 + 8 + 4 + 2 + 1: leaf 1007 completes the subtrees of 2, 4, 8 and 16 leaves
    // with the last 1, 2, 4 and 8 leaves already there; leaf 1008 starts a new one and reads nothing.
    const edge = requiredNodes((reader) => appendLeaves(1007, more, reader));
    expect(edge).toEqual([
      { level: 0, index: 1006 },
      { level: 1, index: 502 },
      { level: 2, index: 250 },
      { level: 3, index: 124 },
    ]);
    const held = new Map(edge.map(({ level, index }) => [`${level}/${index}`, tree.hashAt(level, index)]));
    const written = appendLeaves(1007, more, { hashAt: (level, index) => held.get(`${level}/${index}`)! });
    for (const leaf of more) tree.appendLeafHash(leaf);
    expect(written.map(({ level, index }) => `${level}/${index}`)).toEqual([
      '0/1007',
      '1/503',
      '2/251',
      '3/125',
      '4/62',
      '0/1008',
    ]);
    for (const node of written) expect(hex(node.hash)).toBe(hex(tree.hashAt(node.level, node.index)));
  });

  it('gives the same tree whatever the batch sizes', () => {
    const hashes = Array.from({ length: 100 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
    const oneByOne = nodeStore();
    hashes.forEach((hash, i) => {
      oneByOne.write(appendLeaves(i, [hash], oneByOne.reader));
    });
    const batched = nodeStore();
    let size = 0;
    for (const batch of [1, 2, 30, 31, 36]) {
      batched.write(appendLeaves(size, hashes.slice(size, size + batch), batched.reader));
      size += batch;
    }
    expect(size).toBe(100);
    expect([...batched.nodes.keys()].sort()).toEqual([...oneByOne.nodes.keys()].sort());
    expect(hex(rootHash(100, batched.reader))).toBe(hex(rootHash(100, oneByOne.reader)));
  });

  it('refuses a leaf hash that is not 32 bytes', () => {
    expect(() => appendLeaves(0, [new Uint8Array(33)], nodeStore().reader)).toThrow(/bad-hash-size/);
  });
});
