import { appendLeaves } from './append.ts';
import { TlogError } from './errors.ts';
import { leafHash, rootHash, type NodeReader } from './merkle.ts';

/**
 * An append-only tree held in memory: every complete subtree's hash, level by level, computed as leaves arrive. The
 * reference `NodeReader` for tests and small tools; a store keeps the same hashes (`appendLeaves`) in its own tables.
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

  /** Appends a leaf hash and keeps every subtree it completes; returns its leaf index. */
  appendLeafHash(hash: Uint8Array): number {
    const index = this.size;
    for (const node of appendLeaves(index, [hash], this)) {
      (this.#levels[node.level] ??= [])[node.index] = Uint8Array.from(node.hash);
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
