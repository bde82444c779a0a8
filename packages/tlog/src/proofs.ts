import { TlogError } from './errors.ts';
import {
  HASH_SIZE,
  assertCount,
  assertHash,
  exactLog2,
  nodeHash,
  rangeHash,
  splitPoint,
  type NodeId,
  type NodeReader,
} from './merkle.ts';

// Proof generation follows the recursive definitions of RFC 9162 section 2.1.3.1 (PATH) and 2.1.4.1 (SUBPROOF);
// verification follows the algorithms of sections 2.1.3.2 and 2.1.4.2 step by step. Sizes and indexes are numbers
// below 2^53, so every shift is a division: JavaScript's bitwise operators would cut them to 32 bits.

const half = (n: number): number => Math.floor(n / 2);
const isOdd = (n: number): boolean => n % 2 === 1;

/** Levels climbed from leaf `index` before its path meets the path of the last leaf of a tree of `size`. */
function innerProofSize(index: number, size: number): number {
  let a = index;
  let b = size - 1;
  let levels = 0;
  while (a !== b) {
    a = half(a);
    b = half(b);
    levels += 1;
  }
  return levels;
}

function onesCount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = half(rest)) if (isOdd(rest)) count += 1;
  return count;
}

function trailingZeros(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0 && !isOdd(rest); rest = half(rest)) count += 1;
  return count;
}

/** The number of hashes in the inclusion proof of leaf `index` in a tree of `size` leaves (index < size). */
export function inclusionProofLength(index: number, size: number): number {
  checkInclusionArguments(index, size);
  const inner = innerProofSize(index, size);
  return inner + onesCount(Math.floor(index / 2 ** inner));
}

/** The number of hashes in the consistency proof from `size1` to `size2` (0 < size1 <= size2). */
export function consistencyProofLength(size1: number, size2: number): number {
  checkConsistencyArguments(size1, size2);
  if (size1 === size2) return 0;
  const fork = innerProofSize(size1 - 1, size2);
  const border = onesCount(Math.floor((size1 - 1) / 2 ** fork));
  const shift = trailingZeros(size1);
  // When size1 is a power of two its root is the first hash the verifier chains from, and it already has it.
  const seed = exactLog2(size1) === undefined ? 1 : 0;
  return seed + fork - shift + border;
}

function checkInclusionArguments(index: number, size: number): void {
  assertCount(index, 'index');
  assertCount(size, 'size');
  if (index >= size) throw new TlogError('invalid-argument', `index ${index} is not below size ${size}`);
}

function checkConsistencyArguments(size1: number, size2: number): void {
  assertCount(size1, 'size1');
  assertCount(size2, 'size2');
  if (size1 > size2) throw new TlogError('invalid-argument', `size1 ${size1} is above size2 ${size2}`);
  // As transparency-dev/merkle: every tree extends the empty one, so a proof from size 0 would prove nothing.
  if (size1 === 0) throw new TlogError('invalid-argument', 'a consistency proof from the empty tree proves nothing');
}

/** PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1: sibling hashes from the leaf up to the root. */
export function inclusionProof(index: number, size: number, reader: NodeReader): Uint8Array[] {
  checkInclusionArguments(index, size);
  const path = (m: number, start: number, n: number): Uint8Array[] => {
    if (n === 1) return [];
    const k = splitPoint(n);
    return m < k
      ? [...path(m, start, k), rangeHash(reader, start + k, n - k)]
      : [...path(m - k, start + k, n - k), rangeHash(reader, start, k)];
  };
  return path(index, 0, size);
}

/** PROOF(size1, D[0:size2]) = SUBPROOF(size1, D[0:size2], true) of RFC 9162 section 2.1.4.1. */
export function consistencyProof(size1: number, size2: number, reader: NodeReader): Uint8Array[] {
  checkConsistencyArguments(size1, size2);
  if (size1 === size2) return [];
  const subproof = (m: number, start: number, n: number, startFromOldRoot: boolean): Uint8Array[] => {
    if (m === n) return startFromOldRoot ? [] : [rangeHash(reader, start, n)];
    const k = splitPoint(n);
    return m <= k
      ? [...subproof(m, start, k, startFromOldRoot), rangeHash(reader, start + k, n - k)]
      : [...subproof(m - k, start + k, n - k, false), rangeHash(reader, start, k)];
  };
  return subproof(size1, 0, size2, true);
}

/**
 * The complete subtrees a computation reads: run `compute` (e.g. `(r) => inclusionProof(5, 70, r)`) over a reader
 * that records, so a store fetches exactly those hashes (or the tiles holding them) in one round trip and then runs
 * the same computation over what it fetched. The recorded order is the order of first use, without repeats.
 */
export function requiredNodes(compute: (reader: NodeReader) => unknown): NodeId[] {
  const seen = new Map<string, NodeId>();
  const placeholder = new Uint8Array(HASH_SIZE);
  compute({
    hashAt(level, index) {
      seen.set(`${level}/${index}`, { level, index });
      return placeholder;
    },
  });
  return [...seen.values()];
}

function checkProofHashes(proof: readonly Uint8Array[], expected: number): void {
  if (proof.length !== expected) {
    throw new TlogError('wrong-proof-length', `the proof has ${proof.length} hashes, not ${expected}`);
  }
  proof.forEach((hash, position) => {
    assertHash(hash, `proof hash ${position}`);
  });
}

function checkRoot(calculated: Uint8Array, expected: Uint8Array, what: string): void {
  if (!Buffer.from(calculated).equals(expected)) {
    throw new TlogError('root-mismatch', `the proof does not lead to the ${what}`);
  }
}

export interface InclusionClaim {
  readonly index: number;
  readonly size: number;
  readonly leafHash: Uint8Array;
  readonly proof: readonly Uint8Array[];
  readonly root: Uint8Array;
}

/** Throws a `TlogError` unless `proof` shows leaf `index` with `leafHash` in the tree of `size` with `root`. */
export function verifyInclusion({ index, size, leafHash, proof, root }: InclusionClaim): void {
  assertHash(leafHash, 'the leaf hash');
  assertHash(root, 'the root');
  checkProofHashes(proof, inclusionProofLength(index, size));
  // RFC 9162 section 2.1.3.2, verbatim (its own length checks on sn cannot fire after the check above; kept so the
  // loop reads as the RFC's).
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new TlogError('wrong-proof-length', 'the proof is longer than the path to the root');
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new TlogError('wrong-proof-length', 'the proof is shorter than the path to the root');
  checkRoot(r, root, 'root');
}

export interface ConsistencyClaim {
  readonly size1: number;
  readonly size2: number;
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

/** Throws a `TlogError` unless `proof` shows the tree of `size1` with `root1` is a prefix of `size2` with `root2`. */
export function verifyConsistency({ size1, size2, root1, root2, proof }: ConsistencyClaim): void {
  assertHash(root1, 'root1');
  assertHash(root2, 'root2');
  checkProofHashes(proof, consistencyProofLength(size1, size2));
  if (size1 === size2) {
    checkRoot(root1, root2, 'same root at the same size');
    return;
  }
  // RFC 9162 section 2.1.4.2, steps 2 to 7, verbatim (step 1, an empty proof, and its checks on sn are already
  // covered by the length check above).
  const path = exactLog2(size1) === undefined ? [...proof] : [root1, ...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  const [first, ...rest] = path as [Uint8Array, ...Uint8Array[]];
  let fr: Uint8Array = first;
  let sr: Uint8Array = first;
  for (const c of rest) {
    if (sn === 0) throw new TlogError('wrong-proof-length', 'the proof is longer than the path to the new root');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new TlogError('wrong-proof-length', 'the proof is shorter than the path to the new root');
  checkRoot(fr, root1, 'old root');
  checkRoot(sr, root2, 'new root');
}
