import { assertCount, assertHash, nodeHash, type NodeId, type NodeReader } from './merkle.ts';

/** A complete subtree's hash, as a store writes it once and never rewrites it. */
export interface StoredNode extends NodeId {
  readonly hash: Uint8Array;
}

/**
 * Appending leaves to a tree of `size` (the integration step): every complete subtree the new leaves complete, leaf
 * hashes included, in the order they complete. The reader is asked only for the existing right edge of the tree
 * (at most one node per level), so `requiredNodes((r) => appendLeaves(size, leaves, r))` names what to load first.
 */
export function appendLeaves(size: number, leafHashes: readonly Uint8Array[], reader: NodeReader): StoredNode[] {
  assertCount(size, 'size');
  const created = new Map<string, Uint8Array>();
  const hashAt = (level: number, index: number): Uint8Array =>
    created.get(`${level}/${index}`) ?? reader.hashAt(level, index);
  const nodes: StoredNode[] = [];
  leafHashes.forEach((leaf, offset) => {
    assertHash(leaf, `leaf hash ${offset}`);
    let hash = leaf;
    let index = size + offset;
    for (let level = 0; ; level += 1) {
      nodes.push({ level, index, hash });
      created.set(`${level}/${index}`, hash);
      if (index % 2 === 0) break; // a left child: its parent completes with a later leaf
      hash = nodeHash(hashAt(level, index - 1), hash);
      index = (index - 1) / 2;
    }
  });
  return nodes;
}
