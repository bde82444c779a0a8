import { EMPTY_ROOT, assertHash, nodeHash, type NodeId } from './merkle.ts';

/**
 * The right edge of a tree being rebuilt leaf by leaf (a "compact range" from leaf 0): the roots of its perfect
 * subtrees, largest first, at most one per level. Memory stays at log2(size) hashes however long the log, so a
 * verifier can stream a whole log; the root at the current size is the RFC 9162 MTH (the subtrees folded right to
 * left, which is what the largest-power-of-two split computes).
 */
export class Frontier {
  readonly #nodes: { level: number; hash: Uint8Array }[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * Appends a leaf hash; `onComplete` is told of every complete subtree the leaf completes (level 0 included), so a
   * caller can compare it with a stored or served hash.
   */
  append(leafHash: Uint8Array, onComplete?: (node: NodeId, hash: Uint8Array) => void): void {
    assertHash(leafHash, 'a leaf hash');
    let node: { level: number; hash: Uint8Array } = { level: 0, hash: Uint8Array.from(leafHash) };
    const index = this.#size;
    onComplete?.({ level: 0, index }, node.hash);
    for (let left = this.#nodes.at(-1); left?.level === node.level; left = this.#nodes.at(-1)) {
      this.#nodes.pop();
      node = { level: node.level + 1, hash: nodeHash(left.hash, node.hash) };
      onComplete?.({ level: node.level, index: Math.floor(index / 2 ** node.level) }, node.hash);
    }
    this.#nodes.push(node);
    this.#size += 1;
  }

  /** MTH of the leaves appended so far. */
  root(): Uint8Array {
    return (
      this.#nodes.reduceRight<Uint8Array | undefined>(
        (right, left) => (right === undefined ? left.hash : nodeHash(left.hash, right)),
        undefined,
      ) ?? EMPTY_ROOT
    );
  }
}
