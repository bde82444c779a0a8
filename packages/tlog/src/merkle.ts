import { createHash } from 'node:crypto';
import { TlogError } from './errors.ts';

/** RFC 9162 section 2.1 with SHA-256: every hash in the tree is 32 bytes. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256 of the empty string (RFC 9162 section 2.1.1). */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** MTH({d}) = SHA-256(0x00 || d): the leaf hash of an entry's bytes (RFC 9162 section 2.1.1). */
export function leafHash(entry: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest();
}

/** SHA-256(0x01 || left || right): the hash of an interior node (RFC 9162 section 2.1.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * The hashes a log has stored: `hashAt(level, index)` is the hash of the complete subtree of 2^level leaves starting
 * at leaf index * 2^level (level 0: the leaf hashes). Only complete subtrees are ever asked for, so a store can keep
 * them as written, immutable; the incomplete right edge of a tree is always recomputed from them.
 */
export interface NodeReader {
  hashAt(level: number, index: number): Uint8Array;
}

/** A position in the tree: the complete subtree of 2^level leaves whose first leaf is index * 2^level. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** Refuses anything but a non-negative safe integer (tree sizes and indexes are numbers below 2^53). */
export function assertCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TlogError('invalid-argument', `${what} must be a non-negative safe integer`);
  }
}

export function assertHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE) {
    throw new TlogError('bad-hash-size', `${what} is ${hash.length} bytes, not ${HASH_SIZE}`);
  }
}

/** The largest power of two smaller than n (n > 1): the split point k of RFC 9162 section 2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** log2(n) when n is a power of two, otherwise undefined. Arithmetic only: sizes may exceed 32 bits. */
export function exactLog2(n: number): number | undefined {
  let level = 0;
  let power = 1;
  while (power < n) {
    power *= 2;
    level += 1;
  }
  return power === n ? level : undefined;
}

/**
 * MTH(D[start:start+n]) for a range the RFC 9162 recursion produces (start is a multiple of the largest power of two
 * not above n): a complete subtree is read, anything else is split and hashed.
 */
export function rangeHash(reader: NodeReader, start: number, n: number): Uint8Array {
  const level = exactLog2(n);
  if (level !== undefined) {
    const hash = reader.hashAt(level, start / n);
    assertHash(hash, `the node at level ${level}, index ${start / n}`);
    return hash;
  }
  const k = splitPoint(n);
  return nodeHash(rangeHash(reader, start, k), rangeHash(reader, start + k, n - k));
}

/** The root hash of the first `size` leaves of the tree the reader holds (MTH of RFC 9162 section 2.1.1). */
export function rootHash(size: number, reader: NodeReader): Uint8Array {
  assertCount(size, 'size');
  return size === 0 ? EMPTY_ROOT : rangeHash(reader, 0, size);
}

/** MTH over a list of leaf hashes, straight from the RFC's recursive definition (a reference; logs use readers). */
export function merkleTreeHash(leafHashes: readonly Uint8Array[]): Buffer {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  if (leafHashes.length === 1) {
    const [only] = leafHashes as [Uint8Array];
    assertHash(only, 'a leaf hash');
    return Buffer.from(only);
  }
  const k = splitPoint(leafHashes.length);
  return nodeHash(merkleTreeHash(leafHashes.slice(0, k)), merkleTreeHash(leafHashes.slice(k)));
}
