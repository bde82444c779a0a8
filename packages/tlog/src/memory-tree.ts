import { TlogError } from './errors.ts';
import { assertHash, leafHash, nodeHash, rootHash, type NodeReader } from './merkle.ts';

/**
 * An append-only tree held in memory: every complete subtree's hash, level by level, computed as leaves arrive. The
 * reference `NodeReader` for tests and small tools; a store keeps the same hashes in its own tables or tiles.
 */
export class MemoryTree implements NodeReader {
  readonly #levels: Uint8Array[][] = [[]];

  get size(): number {
    return this.#levels[0]?.length ?? 0;
  }

  /** Appends an entry (its leaf hash is computed here) and returns its leaf index. */
  appendEntry(entry: Uint8Array): number {
    return this.appendLeafHash(leafHash(entry));
  }

  /** Appends a leaf hash and completes every subtree it closes; returns its leaf index. */
  appendLeafHash(hash: Uint8Array): number {
    assertHash(hash, 'a leaf hash');
    const index = this.size;
    let carry: Uint8Array = Uint8Array.from(hash);
    let position = index;
    for (let level = 0; ; level += 1) {
      const row = (this.#levels[level] ??= []);
      row.push(carry);
      if (position % 2 === 0) break;
      const left = row[position - 1] as Uint8Array;
      carry = nodeHash(left, carry);
      position = (position - 1) / 2;
    }
    return index;
  }

  hashAt(level: number, index: number): Uint8Array {
    const hash = this.#levels[level]?.[index];
    if (hash === undefined) {
      throw new TlogError('missing-node', `no complete subtree at level ${level}, index ${index}`);
    }
    return hash;
  }

  /** The root hash at any size up to the current one. */
  root(size: number = this.size): Uint8Array {
    if (size > this.size) throw new TlogError('invalid-argument', `size ${size} is beyond the tree (${this.size})`);
    return rootHash(size, this);
  }
}
