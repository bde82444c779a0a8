import { describe, expect, it } from 'vitest';
import { formatBundle, verifyBundle, type ProofBundle } from './bundle.ts';
import { signCheckpoint } from './checkpoint.ts';
import { cosigner, cosignerVerifierKey } from './cosignature.ts';
import { encodeEntryBundle } from './entry-bundles.ts';
import { Frontier } from './frontier.ts';
import { generateSignerKey } from './keys.ts';
import { MemoryTree } from './memory-tree.ts';
import { addSignatures, noteSigner, parseNote, signNote } from './note.ts';
import { consistencyProof, inclusionProof } from './proofs.ts';
import { TILE_WIDTH, buildTile } from './tiles.ts';
import { openTrustedCheckpoint, type TrustPolicy } from './trust.ts';
import { verifyLog, type LogSource } from './verify-log.ts';

// The verifier against every tamper of issue 11, on logs built here: each tamper must be named, an untouched log
// must verify, and nothing but the log's and the witnesses' public keys is given to the verifier.

const ORIGIN = 'hub.test/audit';
const log = generateSignerKey(ORIGIN);
const impostor = generateSignerKey(ORIGIN);
const witnessKey = generateSignerKey('witness.test/w1').skey;
const otherWitnessKey = generateSignerKey('witness.test/w2').skey;
const policy: TrustPolicy = { origin: ORIGIN, logKeys: [log.vkey], witnessKeys: [cosignerVerifierKey(witnessKey)] };

const entriesOf = (n: number, variant = '') =>
  Array.from({ length: n }, (_, i) => Buffer.from(`{"eventId":"aud_${i}","n":${i}${variant}}`));

function treeOf(entries: readonly Buffer[]): MemoryTree {
  const tree = new MemoryTree();
  for (const entry of entries) tree.appendEntry(entry);
  return tree;
}

function signed(tree: MemoryTree, size = tree.size, key = log.skey): string {
  return signCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) }, [noteSigner(key)]);
}

function cosign(note: string, skey = witnessKey, time = 1_800_000_000): string {
  const line = parseNote(signNote(parseNote(note).text, [cosigner(skey, () => time)])).signatures;
  return addSignatures(note, line);
}

interface Served {
  readonly entries: readonly Buffer[];
  /** The tree whose tiles are served (default: the entries' own, as an attacker recomputing tiles would). */
  readonly tiles?: MemoryTree;
  readonly checkpoint?: string | undefined;
  readonly cosigned?: string | undefined;
}

function sourceOf(served: Served): LogSource {
  const tiles = served.tiles ?? treeOf(served.entries);
  return {
    checkpoint: () => Promise.resolve(served.checkpoint),
    cosignedCheckpoint: () => Promise.resolve(served.cosigned),
    tile: (level, index, width) => {
      try {
        return Promise.resolve(buildTile({ level, index, width }, tiles));
      } catch {
        return Promise.resolve(undefined);
      }
    },
    entryBundle: (index, width) => {
      const bundle = served.entries.slice(index * TILE_WIDTH, index * TILE_WIDTH + width);
      return Promise.resolve(bundle.length === 0 ? undefined : encodeEntryBundle(bundle));
    },
  };
}

/** An honest log of `n` entries: its tiles, its latest checkpoint, and that checkpoint cosigned. */
function honest(n: number) {
  const entries = entriesOf(n);
  const tree = treeOf(entries);
  const checkpoint = signed(tree);
  return { entries, tree, checkpoint, cosigned: cosign(checkpoint) };
}

const codes = (result: { failures: readonly { code: string }[] }) => [...new Set(result.failures.map((f) => f.code))];

describe('Frontier', () => {
  it('has the RFC 9162 root at every size and completes exactly the stored subtrees', () => {
    const tree = new MemoryTree();
    const frontier = new Frontier();
    for (let i = 0; i < 300; i += 1) {
      expect(Buffer.from(frontier.root()).equals(tree.root())).toBe(true);
      const entry = Buffer.from(`leaf ${i}`);
      tree.appendEntry(entry);
      const completed: string[] = [];
      frontier.append(tree.hashAt(0, i), (node, hash) => {
        completed.push(`${node.level}/${node.index}`);
        expect(Buffer.from(hash).equals(tree.hashAt(node.level, node.index))).toBe(true);
      });
      // Leaf i completes one subtree per trailing 1 bit of i, plus the leaf itself.
      expect(completed.length).toBe(1 + (i.toString(2).match(/1*$/)?.[0].length ?? 0));
    }
  });
});

describe('openTrustedCheckpoint', () => {
  const { tree, checkpoint, cosigned } = honest(10);

  it('trusts the log-signed, cosigned checkpoint and reports the cosignature time', () => {
    const trusted = openTrustedCheckpoint(cosigned, policy);
    expect(trusted.checkpoint.size).toBe(10);
    expect(trusted.cosignatures).toEqual([{ witness: 'witness.test/w1', timestamp: 1_800_000_000 }]);
  });

  it.each([
    ['a checkpoint without the quorum of cosignatures', () => checkpoint, 'missing-cosignature'],
    ['a cosignature of another witness only', () => cosign(checkpoint, otherWitnessKey), 'missing-cosignature'],
    ['a checkpoint signed by an impostor of the log', () => cosign(signed(tree, 10, impostor.skey)), 'log-signature'],
    ['a checkpoint of another origin', () => 'other.test/log\n1\nAAAA\n\n', 'malformed-checkpoint'],
    [
      'a cosignature over another checkpoint',
      () => {
        const line = parseNote(cosign(signed(tree, 9))).signatures.at(-1)!;
        return addSignatures(checkpoint, [line]);
      },
      'bad-cosignature',
    ],
  ])('refuses %s', (_, note, code) => {
    expect(() => openTrustedCheckpoint(note(), policy)).toThrow(expect.objectContaining({ code }) as Error);
  });
});

describe('verifyLog: the whole log from its tiles and entry bundles', () => {
  const size = 700; // three entry bundles, the last partial
  const base = honest(size);

  it('verifies an untouched log, every leaf, with the cosignature', async () => {
    const result = await verifyLog(sourceOf({ ...base }), policy);
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({ ok: true, leaves: size, latest: { size } });
    expect(result.cosigned?.cosignatures).toHaveLength(1);
  });

  it('verifies a log with tiles above level 0 (65,795 leaves) and catches an edited level-1 tile', async () => {
    const big = honest(TILE_WIDTH * 257 + 3);
    const source = sourceOf({ ...big, tiles: big.tree });
    expect((await verifyLog(source, policy)).ok).toBe(true);
    const edited: LogSource = {
      ...source,
      tile: async (level, index, width) => {
        const bytes = await source.tile(level, index, width);
        if (level === 1 && index === 0 && bytes !== undefined) bytes[100] = (bytes[100] ?? 0) ^ 1;
        return bytes;
      },
    };
    const result = await verifyLog(edited, policy);
    expect(result.failures).toEqual([{ code: 'tile-mismatch', message: 'tile level 1, index 0: hash 3 differs' }]);
  }, 30_000);

  it('names an edited event: its leaf (tiles untouched) and the root', async () => {
    const entries = [...base.entries];
    entries[123] = Buffer.from('{"eventId":"aud_123","n":999}');
    const result = await verifyLog(sourceOf({ ...base, entries, tiles: base.tree }), policy);
    expect(result.ok).toBe(false);
    expect(result.failures.filter((f) => f.code === 'entry-mismatch').map((f) => f.leafIndex)).toEqual([123]);
    expect(codes(result)).toContain('root-mismatch');
  });

  it('catches an edited event whose tiles were recomputed: the signed root no longer matches', async () => {
    const entries = [...base.entries];
    entries[5] = Buffer.from('{"eventId":"aud_5","n":-1}');
    const result = await verifyLog(sourceOf({ ...base, entries }), policy);
    expect(codes(result)).toEqual(['root-mismatch']);
  });

  it('names a deleted event', async () => {
    const entries = base.entries.filter((_, i) => i !== 300);
    const result = await verifyLog(sourceOf({ ...base, entries, tiles: base.tree }), policy);
    expect(codes(result)).toEqual(expect.arrayContaining(['entry-mismatch', 'missing-entries']));
    expect(result.failures.find((f) => f.code === 'entry-mismatch')?.leafIndex).toBe(300);
  });

  it('names an inserted event', async () => {
    const entries = [...base.entries.slice(0, 40), Buffer.from('{"forged":true}'), ...base.entries.slice(40)];
    const result = await verifyLog(sourceOf({ ...base, entries, tiles: base.tree }), policy);
    expect(result.failures.find((f) => f.code === 'entry-mismatch')?.leafIndex).toBe(40);
    expect(codes(result)).toContain('root-mismatch');
  });

  it('names reordered events', async () => {
    const entries = [...base.entries];
    [entries[10], entries[11]] = [entries[11]!, entries[10]!];
    const result = await verifyLog(sourceOf({ ...base, entries, tiles: base.tree }), policy);
    expect(result.failures.filter((f) => f.code === 'entry-mismatch').map((f) => f.leafIndex)).toEqual([10, 11]);
  });

  it('catches truncation: the tail cut and a smaller checkpoint re-signed with the log key', async () => {
    const entries = base.entries.slice(0, 500);
    const tree = treeOf(entries);
    const result = await verifyLog(sourceOf({ entries, checkpoint: signed(tree), cosigned: base.cosigned }), policy);
    expect(codes(result)).toEqual(['truncated']);
    // Serving the re-signed one as the cosigned checkpoint too: no witness cosigned it.
    const alone = await verifyLog(sourceOf({ entries, checkpoint: signed(tree), cosigned: signed(tree) }), policy, {
      trusted: [base.checkpoint],
    });
    expect(codes(alone)).toEqual(['missing-cosignature', 'truncated']);
  });

  it('catches the whole log rewritten with recomputed hashes and re-signed with the log key', async () => {
    const entries = entriesOf(size, ',"rewritten":true');
    const tree = treeOf(entries);
    // The attacker holds the log key but not the witness's: the cosigned checkpoint is the honest one.
    const kept = await verifyLog(sourceOf({ entries, checkpoint: signed(tree), cosigned: base.cosigned }), policy);
    expect(codes(kept)).toEqual(['root-mismatch']);
    // Or it serves its own, which no witness cosigned; an earlier checkpoint the verifier holds shows the fork.
    const own = await verifyLog(sourceOf({ entries, checkpoint: signed(tree), cosigned: signed(tree) }), policy, {
      trusted: [signed(base.tree, 650)],
    });
    expect(codes(own)).toEqual(['missing-cosignature', 'inconsistent']);
  });

  it('catches a wiped log: nothing served, or an empty checkpoint re-signed', async () => {
    const nothing = await verifyLog(sourceOf({ entries: [] }), policy, { trusted: [base.cosigned] });
    expect(codes(nothing)).toEqual(['missing-cosignature', 'wiped']);
    const empty = signed(new MemoryTree());
    const emptied = await verifyLog(sourceOf({ entries: [], checkpoint: empty, cosigned: base.cosigned }), policy);
    expect(codes(emptied)).toEqual(['wiped']);
  });

  it('catches a fork: a checkpoint signed by the log for another history than the one it serves', async () => {
    // The witness (or an earlier run) holds a checkpoint of another tree of 400 leaves, also signed by the log.
    const other = treeOf(entriesOf(400, ',"fork":1'));
    const result = await verifyLog(sourceOf({ ...base }), policy, { trusted: [signed(other)] });
    expect(codes(result)).toEqual(['inconsistent']);
    // An honest earlier checkpoint is a prefix: fine.
    expect((await verifyLog(sourceOf({ ...base }), policy, { trusted: [signed(base.tree, 400)] })).ok).toBe(true);
  });

  it('reports an unreadable log as unavailable, and lists at most maxListed failures per code', async () => {
    const broken: LogSource = { ...sourceOf(base), entryBundle: () => Promise.reject(new Error('socket')) };
    expect(codes(await verifyLog(broken, policy))).toEqual(['unavailable']);
    const entries = base.entries.map((e, i) => (i < 30 ? Buffer.from(`edited ${i}`) : e));
    const result = await verifyLog(sourceOf({ ...base, entries, tiles: base.tree }), policy, { maxListed: 5 });
    expect(result.failures.filter((f) => f.code === 'entry-mismatch')).toHaveLength(5);
    expect(result.omitted).toBe(25);
  });
});

describe('verifyBundle: events with their inclusion proofs, offline', () => {
  const base = honest(300);
  const earlier = signed(base.tree, 120);

  function bundleOf(from: number, to: number, edit?: (bundle: ProofBundle) => ProofBundle): string {
    const bundle: ProofBundle = {
      checkpoint: base.cosigned,
      range: { from, to },
      entries: base.entries
        .slice(from, to)
        .map((entry, i) => ({ leafIndex: from + i, entry, proof: inclusionProof(from + i, 300, base.tree) })),
      previous: [{ checkpoint: earlier, proof: consistencyProof(120, 300, base.tree) }],
    };
    return formatBundle(edit === undefined ? bundle : edit(bundle));
  }

  it('verifies an untouched bundle and a trusted checkpoint it proves a prefix', () => {
    const result = verifyBundle(bundleOf(100, 150), policy, { trusted: [earlier] });
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({ ok: true, verified: 50, range: { from: 100, to: 150 } });
  });

  it.each([
    [
      'an edited event',
      (b: ProofBundle) => ({
        ...b,
        entries: b.entries.map((e) => (e.leafIndex === 110 ? { ...e, entry: Buffer.from('{"edited":1}') } : e)),
      }),
      ['inclusion'],
    ],
    [
      'a deleted event',
      (b: ProofBundle) => ({ ...b, entries: b.entries.filter((e) => e.leafIndex !== 120) }),
      ['missing-event'],
    ],
    [
      'an inserted event',
      (b: ProofBundle) => ({
        ...b,
        entries: [
          ...b.entries,
          { leafIndex: 149, entry: Buffer.from('{"forged":1}'), proof: inclusionProof(149, 300, base.tree) },
        ],
      }),
      ['unexpected-event'],
    ],
    [
      'reordered events (contents swapped between leaves)',
      (b: ProofBundle) => ({
        ...b,
        entries: b.entries.map((e, i, all) =>
          e.leafIndex === 101
            ? { ...e, entry: all[i + 1]!.entry }
            : e.leafIndex === 102
              ? { ...e, entry: all[i - 1]!.entry }
              : e,
        ),
      }),
      ['inclusion'],
    ],
    [
      'reordered events (out of leaf order)',
      (b: ProofBundle) => ({ ...b, entries: [b.entries[1]!, b.entries[0]!, ...b.entries.slice(2)] }),
      ['reordered'],
    ],
    [
      'a checkpoint without its cosignature',
      (b: ProofBundle) => ({ ...b, checkpoint: base.checkpoint }),
      ['missing-cosignature'],
    ],
    [
      'an earlier checkpoint of a fork',
      (b: ProofBundle) => {
        const fork = treeOf(entriesOf(120, 'fork'));
        return { ...b, previous: [{ checkpoint: signed(fork), proof: consistencyProof(120, 300, base.tree) }] };
      },
      ['inconsistent'],
    ],
    [
      'an earlier checkpoint larger than the bundle (truncation)',
      (b: ProofBundle) => {
        const longer = treeOf(entriesOf(400));
        return { ...b, previous: [{ checkpoint: signed(longer), proof: [] }] };
      },
      ['truncated'],
    ],
  ])('names %s', (_, edit, expected) => {
    expect(codes(verifyBundle(bundleOf(100, 150, edit), policy))).toEqual(expected);
  });

  it('names a trusted checkpoint of another history (a fork), and one the bundle proves nothing from', () => {
    const fork = treeOf(entriesOf(300, 'fork'));
    expect(codes(verifyBundle(bundleOf(0, 10), policy, { trusted: [signed(fork)] }))).toEqual(['inconsistent']);
    expect(codes(verifyBundle(bundleOf(0, 10), policy, { trusted: [signed(fork, 120)] }))).toEqual(['inconsistent']);
    expect(codes(verifyBundle(bundleOf(0, 10), policy, { trusted: [signed(base.tree, 200)] }))).toEqual([
      'no-consistency-proof',
    ]);
  });

  it('refuses what is not a bundle, naming no value', () => {
    const result = verifyBundle('{"format":"tlog-proof-bundle/v1","checkpoint":1}', policy);
    expect(result.failures).toEqual([
      { code: 'malformed-bundle', message: expect.stringContaining('members') as string },
    ]);
    expect(codes(verifyBundle('not json', policy))).toEqual(['malformed-bundle']);
    const beyond = bundleOf(0, 1, (b) => ({ ...b, range: { from: 0, to: 301 } }));
    expect(codes(verifyBundle(beyond, policy))).toEqual(['malformed-bundle']);
  });
});
