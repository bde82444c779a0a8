import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TlogError } from './errors.ts';
import { MemoryTree } from './memory-tree.ts';
import { leafHash, merkleTreeHash } from './merkle.ts';
import {
  consistencyProof,
  consistencyProofLength,
  inclusionProof,
  inclusionProofLength,
  requiredNodes,
  verifyConsistency,
  verifyInclusion,
} from './proofs.ts';
import {
  RFC6962_CONSISTENCY_PROOFS,
  RFC6962_INCLUSION_PROOFS,
  RFC6962_LEAVES,
  RFC6962_ROOTS,
  hex,
  unhex,
} from './test-vectors.ts';

// Expected proofs and roots are the published RFC 6962 vectors (sources and commits in test-vectors.ts) and the
// transparency-dev/merkle probe files (../testdata/transparency-dev-merkle/README.md); nothing here was produced by
// this code and then pasted back.

function referenceTree(): MemoryTree {
  const tree = new MemoryTree();
  for (const leaf of RFC6962_LEAVES) tree.appendEntry(leaf);
  return tree;
}

function treeOf(size: number): MemoryTree {
  const tree = new MemoryTree();
  for (let i = 0; i < size; i += 1) tree.appendEntry(Buffer.from(`leaf ${i}`));
  return tree;
}

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof TlogError) return error.code;
    throw error;
  }
}

describe('inclusion proofs against the published RFC 6962 vectors', () => {
  it.each(RFC6962_INCLUSION_PROOFS)(
    'generates and verifies leaf $index in a tree of $size',
    ({ index, size, proof }) => {
      const tree = referenceTree();
      const generated = inclusionProof(index, size, tree);
      expect(generated.map(hex)).toEqual(proof);
      expect(inclusionProofLength(index, size)).toBe(proof.length);
      const claim = {
        index,
        size,
        leafHash: leafHash(RFC6962_LEAVES[index]!),
        proof: proof.map(unhex),
        root: unhex(RFC6962_ROOTS[size]!),
      };
      expect(() => {
        verifyInclusion(claim);
      }).not.toThrow();
      // The same proof for the leaf next door, or for another tree size, must not verify.
      expect(
        codeOf(() => {
          verifyInclusion({ ...claim, leafHash: leafHash(Buffer.from('x')) });
        }),
      ).toBe('root-mismatch');
      if (size > 1) {
        expect(
          codeOf(() => {
            verifyInclusion({ ...claim, index: (index + 1) % size });
          }),
        ).toMatch(/root-mismatch|length/);
      }
    },
  );
});

describe('consistency proofs against the published RFC 6962 vectors', () => {
  it.each(RFC6962_CONSISTENCY_PROOFS)('generates and verifies $size1 -> $size2', ({ size1, size2, proof }) => {
    const tree = referenceTree();
    expect(consistencyProof(size1, size2, tree).map(hex)).toEqual(proof);
    expect(consistencyProofLength(size1, size2)).toBe(proof.length);
    const claim = {
      size1,
      size2,
      root1: unhex(RFC6962_ROOTS[size1]!),
      root2: unhex(RFC6962_ROOTS[size2]!),
      proof: proof.map(unhex),
    };
    expect(() => {
      verifyConsistency(claim);
    }).not.toThrow();
    const other = unhex(RFC6962_ROOTS[size1 === 1 ? 2 : 1]!);
    expect(
      codeOf(() => {
        verifyConsistency({ ...claim, root1: other });
      }),
    ).toBe('root-mismatch');
    expect(
      codeOf(() => {
        verifyConsistency({ ...claim, root2: other });
      }),
    ).toBe('root-mismatch');
  });
});

// Every probe file of transparency-dev/merkle's testdata (see ../testdata/transparency-dev-merkle/README.md).
const PROBES = fileURLToPath(new URL('../testdata/transparency-dev-merkle', import.meta.url));
const b64 = (text: string | null): Buffer => Buffer.from(text ?? '', 'base64');

function probeFiles(kind: 'inclusion' | 'consistency'): { name: string; probe: Record<string, unknown> }[] {
  const root = join(PROBES, kind);
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { name: relative(root, path), probe: JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

// The one probe this package answers differently, on purpose: it accepts 12-byte "roots" when both sizes are 1
// (nothing is hashed); every hash here must be 32 bytes, so the same input is refused as malformed.
const STRICTER_THAN_GO = new Map([['additional/sizes-are-equal-one-and-proof-is-empty.json', 'bad-hash-size']]);

describe('the transparency-dev/merkle verification probes', () => {
  const inclusion = probeFiles('inclusion');
  const consistency = probeFiles('consistency');

  it('finds all of them', () => {
    expect(inclusion.length).toBe(98);
    expect(consistency.length).toBe(98);
  });

  it.each(inclusion)('inclusion $name', ({ probe }) => {
    const code = codeOf(() => {
      verifyInclusion({
        index: probe['leafIdx'] as number,
        size: probe['treeSize'] as number,
        leafHash: b64(probe['leafHash'] as string),
        proof: ((probe['proof'] as string[] | null) ?? []).map(b64),
        root: b64(probe['root'] as string),
      });
    });
    expect(code === undefined).toBe(probe['wantErr'] === false);
  });

  it.each(consistency)('consistency $name', ({ name, probe }) => {
    const code = codeOf(() => {
      verifyConsistency({
        size1: probe['size1'] as number,
        size2: probe['size2'] as number,
        root1: b64(probe['root1'] as string),
        root2: b64(probe['root2'] as string),
        proof: ((probe['proof'] as string[] | null) ?? []).map(b64),
      });
    });
    const deviation = STRICTER_THAN_GO.get(name);
    if (deviation === undefined) expect(code === undefined).toBe(probe['wantErr'] === false);
    else expect(code).toBe(deviation);
  });
});

describe('generated proofs on every tree up to 70 leaves', () => {
  const SIZE = 70;
  const tree = treeOf(SIZE);
  const leaves = Array.from({ length: SIZE }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const roots = Array.from({ length: SIZE + 1 }, (_, size) => merkleTreeHash(leaves.slice(0, size)));

  it('verifies every inclusion proof, of the predicted length, and only for its own leaf', () => {
    for (let size = 1; size <= SIZE; size += 1) {
      for (let index = 0; index < size; index += 1) {
        const proof = inclusionProof(index, size, tree);
        expect(proof.length).toBe(inclusionProofLength(index, size));
        verifyInclusion({ index, size, leafHash: leaves[index]!, proof, root: roots[size]! });
        if (size > 1) {
          const wrong = leaves[(index + 1) % size]!;
          expect(
            codeOf(() => {
              verifyInclusion({ index, size, leafHash: wrong, proof, root: roots[size]! });
            }),
          ).toBe('root-mismatch');
        }
      }
    }
  });

  it('verifies every consistency proof, of the predicted length, and refuses a forked old root', () => {
    for (let size2 = 1; size2 <= SIZE; size2 += 1) {
      for (let size1 = 1; size1 <= size2; size1 += 1) {
        const proof = consistencyProof(size1, size2, tree);
        expect(proof.length).toBe(consistencyProofLength(size1, size2));
        verifyConsistency({ size1, size2, root1: roots[size1]!, root2: roots[size2]!, proof });
        // A different history of the same size (a fork) is not consistent with the new root.
        const otherRoot = merkleTreeHash([leafHash(Buffer.from('forked')), ...leaves.slice(1, size1)]);
        expect(
          codeOf(() => {
            verifyConsistency({ size1, size2, root1: otherRoot, root2: roots[size2]!, proof });
          }),
        ).toBe('root-mismatch');
      }
    }
  });

  it('refuses a proof with a hash added, removed, swapped or edited', () => {
    const index = 37;
    const size = 61;
    const proof = inclusionProof(index, size, tree);
    const claim = { index, size, leafHash: leaves[index]!, root: roots[size]! };
    const edited = proof.map((hash, i) => (i === 2 ? Buffer.from(hash).fill(7, 0, 1) : hash));
    expect(
      codeOf(() => {
        verifyInclusion({ ...claim, proof: [...proof, proof[0]!] });
      }),
    ).toBe('wrong-proof-length');
    expect(
      codeOf(() => {
        verifyInclusion({ ...claim, proof: proof.slice(1) });
      }),
    ).toBe('wrong-proof-length');
    expect(
      codeOf(() => {
        verifyInclusion({ ...claim, proof: [proof[1]!, proof[0]!, ...proof.slice(2)] });
      }),
    ).toBe('root-mismatch');
    expect(
      codeOf(() => {
        verifyInclusion({ ...claim, proof: edited });
      }),
    ).toBe('root-mismatch');
    expect(
      codeOf(() => {
        verifyInclusion({ ...claim, proof: [proof[0]!.subarray(1), ...proof.slice(1)] });
      }),
    ).toBe('bad-hash-size');
  });

  it('refuses impossible arguments with invalid-argument', () => {
    const root = roots[8]!;
    const leaf = leaves[0]!;
    expect(
      codeOf(() => {
        verifyInclusion({ index: 8, size: 8, leafHash: leaf, proof: [], root });
      }),
    ).toBe('invalid-argument');
    expect(
      codeOf(() => {
        verifyInclusion({ index: 0, size: 0, leafHash: leaf, proof: [], root });
      }),
    ).toBe('invalid-argument');
    expect(
      codeOf(() => {
        verifyInclusion({ index: -1, size: 8, leafHash: leaf, proof: [], root });
      }),
    ).toBe('invalid-argument');
    expect(
      codeOf(() => {
        verifyConsistency({ size1: 9, size2: 8, root1: root, root2: root, proof: [] });
      }),
    ).toBe('invalid-argument');
    expect(
      codeOf(() => {
        verifyConsistency({ size1: 0, size2: 8, root1: root, root2: root, proof: [] });
      }),
    ).toBe('invalid-argument');
    expect(codeOf(() => inclusionProof(70, SIZE, tree))).toBe('invalid-argument');
    expect(codeOf(() => consistencyProof(0, 5, tree))).toBe('invalid-argument');
    expect(codeOf(() => inclusionProof(0, SIZE + 1, tree))).toBe('missing-node');
  });
});

describe('requiredNodes', () => {
  it('names exactly the complete subtrees a proof reads, so a store can fetch them first', () => {
    // Leaf 4 in a tree of 7 (transparency-dev/merkle proof_test.go, TestInclusion: "f j k" = (0,5), (0,6), (2,0)).
    expect(requiredNodes((reader) => inclusionProof(4, 7, reader))).toEqual([
      { level: 0, index: 5 },
      { level: 0, index: 6 },
      { level: 2, index: 0 },
    ]);
    // Leaf 6 in a tree of 7: "i k" = (1,2), (2,0).
    expect(requiredNodes((reader) => inclusionProof(6, 7, reader))).toEqual([
      { level: 1, index: 2 },
      { level: 2, index: 0 },
    ]);
  });

  it('is enough: a reader holding only those nodes gives the same proof', () => {
    const tree = treeOf(70);
    const nodes = requiredNodes((reader) => consistencyProof(23, 70, reader));
    const held = new Map(nodes.map(({ level, index }) => [`${level}/${index}`, tree.hashAt(level, index)]));
    const sparse = {
      hashAt: (level: number, index: number) => {
        const hash = held.get(`${level}/${index}`);
        if (hash === undefined) throw new Error(`not fetched: ${level}/${index}`);
        return hash;
      },
    };
    expect(consistencyProof(23, 70, sparse).map(hex)).toEqual(consistencyProof(23, 70, tree).map(hex));
  });
});
