import { MAX_BUNDLE_ENTRIES, MAX_BUNDLE_PREVIOUS, type ProofBundle } from './bundle.ts';
import { parseCheckpoint } from './checkpoint.ts';
import { decodeEntryBundle } from './entry-bundles.ts';
import { TlogError } from './errors.ts';
import { parseNote } from './note.ts';
import { consistencyProof, inclusionProof, requiredNodes } from './proofs.ts';
import { TILE_WIDTH, tileReader, tileWidth, tilesForNodes } from './tiles.ts';
import type { LogSource } from './verify-log.ts';

// Making a proof bundle from what a log serves: the entries of a range, each inclusion proof computed from the
// log's tiles (the few tiles the proofs read, fetched once), against the latest cosigned checkpoint.

export interface BundleRequest {
  /** First leaf; default 0. */
  readonly from?: number;
  /** Leaf after the last; default the cosigned checkpoint's size. */
  readonly to?: number;
  /** Earlier checkpoints (e.g. the auditor's last trusted one) to prove the bundle's checkpoint extends. */
  readonly since?: readonly string[];
}

/**
 * Builds a bundle of `source`'s leaves `from` to `to − 1` against its latest cosigned checkpoint. The exporter does
 * not vouch for anything: `verifyBundle` checks the result with the keys alone. Throws a `TlogError` when the
 * request cannot be met (no cosigned checkpoint, a range beyond it, a missing tile or bundle).
 */
export async function buildBundle(source: LogSource, request: BundleRequest = {}): Promise<ProofBundle> {
  const checkpoint = await source.cosignedCheckpoint();
  if (checkpoint === undefined) throw new TlogError('invalid-argument', 'the log serves no cosigned checkpoint');
  const { size } = parseCheckpoint(parseNote(checkpoint).text);
  const from = request.from ?? 0;
  const to = request.to ?? size;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to || to > size) {
    throw new TlogError('invalid-argument', `the range must be within the cosigned checkpoint's ${size} leaves`);
  }
  if (to - from > MAX_BUNDLE_ENTRIES) {
    throw new TlogError('invalid-argument', `a bundle holds at most ${MAX_BUNDLE_ENTRIES} entries`);
  }
  const since = (request.since ?? []).map((note) => ({ note, size: parseCheckpoint(parseNote(note).text).size }));
  if (since.length > MAX_BUNDLE_PREVIOUS) {
    throw new TlogError('invalid-argument', `a bundle holds at most ${MAX_BUNDLE_PREVIOUS} earlier checkpoints`);
  }
  if (since.some((earlier) => earlier.size > size)) {
    throw new TlogError('invalid-argument', 'an earlier checkpoint is larger than the cosigned one');
  }

  const entries: Buffer[] = [];
  for (let index = Math.floor(from / TILE_WIDTH); index * TILE_WIDTH < to; index += 1) {
    const width = tileWidth(0, index, size);
    const bytes = await source.entryBundle(index, width);
    if (bytes === undefined) throw new TlogError('missing-node', `entry bundle ${index} is not served`);
    const first = index * TILE_WIDTH;
    entries.push(...decodeEntryBundle(bytes).slice(Math.max(0, from - first), Math.min(width, to - first)));
  }
  if (entries.length !== to - from) throw new TlogError('malformed-bundle', 'the log served too few entries');

  const proofs = (reader: Parameters<typeof inclusionProof>[2]) => ({
    inclusion: Array.from({ length: to - from }, (_, i) => inclusionProof(from + i, size, reader)),
    consistency: since.map((earlier) =>
      earlier.size === 0 || earlier.size === size ? [] : consistencyProof(earlier.size, size, reader),
    ),
  });
  const tiles = new Map<string, Uint8Array>();
  for (const tile of tilesForNodes(requiredNodes(proofs), size)) {
    const bytes = await source.tile(tile.level, tile.index, tile.width);
    if (bytes === undefined) throw new TlogError('missing-node', `tile ${tile.level}/${tile.index} is not served`);
    tiles.set(`${tile.level}/${tile.index}`, bytes);
  }
  const reader = tileReader(size, (tile) => {
    const bytes = tiles.get(`${tile.level}/${tile.index}`);
    if (bytes === undefined) throw new TlogError('missing-node', `tile ${tile.level}/${tile.index} was not read`);
    return bytes;
  });
  // Neighbouring proofs share most of their nodes, and a node between tile levels is recomputed from its tile on
  // every read: remembering each one makes a bundle of thousands of proofs linear.
  const known = new Map<string, Uint8Array>();
  const computed = proofs({
    hashAt(level, index) {
      const key = `${level}/${index}`;
      let hash = known.get(key);
      if (hash === undefined) {
        hash = reader.hashAt(level, index);
        known.set(key, hash);
      }
      return hash;
    },
  });
  return {
    checkpoint,
    range: { from, to },
    entries: entries.map((entry, i) => ({ leafIndex: from + i, entry, proof: computed.inclusion[i] ?? [] })),
    previous: since.map((earlier, i) => ({ checkpoint: earlier.note, proof: computed.consistency[i] ?? [] })),
  };
}
