import { describe, expect, it } from 'vitest';
import { TlogError } from './errors.ts';
import { MemoryTree } from './memory-tree.ts';
import { EMPTY_ROOT, leafHash, merkleTreeHash, nodeHash, rootHash } from './merkle.ts';
import { RFC6962_LEAVES, RFC6962_NODE_HASHES, RFC6962_ROOTS, hex } from './test-vectors.ts';

// The expected hashes here are published vectors, never values this code produced: see test-vectors.ts.

describe('RFC 9162 hashing', () => {
  it('hashes the empty tree, leaves and nodes as transparency-dev/merkle rfc6962_test.go publishes', () => {
    // rfc6962/rfc6962_test.go, TestRFC6962Hasher (commit 417fb0c3).
    expect(hex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(leafHash(new Uint8Array()))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(hex(leafHash(Buffer.from('L123456')))).toBe(
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
    expect(hex(nodeHash(Buffer.from('N123'), Buffer.from('N456')))).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it('separates leaves from nodes and depends on the order of children', () => {
    const a = leafHash(Buffer.from('Hello'));
    const b = leafHash(Buffer.from('World'));
    expect(nodeHash(a, b).equals(leafHash(Buffer.concat([a, b])))).toBe(false);
    expect(nodeHash(a, b).equals(nodeHash(b, a))).toBe(false);
  });

  it('gives the leaf hashes and every complete subtree of the RFC 6962 reference tree', () => {
    const tree = new MemoryTree();
    for (const leaf of RFC6962_LEAVES) tree.appendEntry(leaf);
    RFC6962_NODE_HASHES.forEach((row, level) => {
      row.forEach((expected, index) => {
        expect(hex(tree.hashAt(level, index)), `level ${level}, index ${index}`).toBe(expected);
      });
    });
  });

  it('gives the published root of every size from 0 to 8, from a reader and from the plain recursion', () => {
    const tree = new MemoryTree();
    const hashes = RFC6962_LEAVES.map((leaf) => leafHash(leaf));
    expect(hex(tree.root())).toBe(RFC6962_ROOTS[0]);
    for (const leaf of RFC6962_LEAVES) tree.appendEntry(leaf);
    for (let size = 0; size <= 8; size += 1) {
      expect(hex(rootHash(size, tree)), `size ${size}`).toBe(RFC6962_ROOTS[size]);
      expect(hex(merkleTreeHash(hashes.slice(0, size))), `size ${size}`).toBe(RFC6962_ROOTS[size]);
    }
  });

  it('agrees with the plain recursion on every size up to 300, past the 32-leaf and 256-leaf boundaries', () => {
    const tree = new MemoryTree();
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < 300; i += 1) {
      const entry = Buffer.from(`entry ${i}`);
      tree.appendEntry(entry);
      hashes.push(leafHash(entry));
    }
    for (let size = 0; size <= 300; size += 1) {
      expect(hex(tree.root(size)), `size ${size}`).toBe(hex(merkleTreeHash(hashes.slice(0, size))));
    }
  });

  it('refuses a leaf hash that is not 32 bytes, a size beyond the tree and a node that is not complete', () => {
    const tree = new MemoryTree();
    expect(() => tree.appendLeafHash(new Uint8Array(31))).toThrow(TlogError);
    tree.appendEntry(Buffer.from('one'));
    expect(() => tree.root(2)).toThrow(/invalid-argument/);
    expect(() => tree.hashAt(1, 0)).toThrow(/missing-node/);
    expect(() => rootHash(-1, tree)).toThrow(/invalid-argument/);
    expect(() => rootHash(1.5, tree)).toThrow(/invalid-argument/);
  });
});
