import { decodeBase64Strict } from './base64.ts';
import type { Checkpoint } from './checkpoint.ts';
import { HASH_SIZE, leafHash } from './merkle.ts';
import { verifyConsistency, verifyInclusion } from './proofs.ts';
import { UntrustedCheckpointError, openTrustedCheckpoint, type TrustPolicy, type TrustedCheckpoint } from './trust.ts';
import { Failures, type VerificationFailure } from './verification.ts';

// An offline proof bundle: a range of a log's entries, each with its inclusion proof against one cosigned
// checkpoint, and earlier checkpoints with consistency proofs to it. Checking it needs the log's and its witnesses'
// public keys and nothing else: no network, no log.

export const BUNDLE_FORMAT = 'tlog-proof-bundle/v1';
/** Entries in one bundle: an export of a larger range is several bundles. */
export const MAX_BUNDLE_ENTRIES = 100_000;
/** Earlier checkpoints in one bundle. */
export const MAX_BUNDLE_PREVIOUS = 16;

export interface BundleEntry {
  readonly leafIndex: number;
  /** The entry's bytes (the leaf is SHA-256(0x00 ‖ entry)). */
  readonly entry: Uint8Array;
  /** The RFC 9162 inclusion proof of the leaf in the tree of the bundle's checkpoint. */
  readonly proof: readonly Uint8Array[];
}

export interface ProofBundle {
  /** The cosigned checkpoint every proof is against. */
  readonly checkpoint: string;
  /** The leaves the bundle claims to hold, all of them: `from` to `to − 1`. */
  readonly range: { readonly from: number; readonly to: number };
  readonly entries: readonly BundleEntry[];
  /** Earlier signed checkpoints of the log, each with the consistency proof from it to `checkpoint`. */
  readonly previous: readonly { readonly checkpoint: string; readonly proof: readonly Uint8Array[] }[];
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The bundle as a JSON document (base64 for bytes), one entry per line so a diff or a reader can follow it. */
export function formatBundle(bundle: ProofBundle): string {
  const entries = bundle.entries.map((e) =>
    JSON.stringify({ leafIndex: e.leafIndex, entry: b64(e.entry), proof: e.proof.map(b64) }),
  );
  const previous = bundle.previous.map((p) => JSON.stringify({ checkpoint: p.checkpoint, proof: p.proof.map(b64) }));
  return (
    `{"format":${JSON.stringify(BUNDLE_FORMAT)},\n"checkpoint":${JSON.stringify(bundle.checkpoint)},\n` +
    `"range":${JSON.stringify(bundle.range)},\n"previous":[${previous.join(',\n')}],\n` +
    `"entries":[\n${entries.join(',\n')}\n]}\n`
  );
}

export class MalformedBundleError extends Error {
  constructor(why: string) {
    super(`malformed-bundle: ${why}`);
    this.name = 'MalformedBundleError';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function bytesOf(value: unknown, what: string): Buffer {
  const bytes = typeof value === 'string' ? decodeBase64Strict(value) : undefined;
  if (bytes === undefined) throw new MalformedBundleError(`${what} is not base64`);
  return bytes;
}

function hashesOf(value: unknown, what: string): Buffer[] {
  if (!Array.isArray(value) || value.length > 126) throw new MalformedBundleError(`${what} is not a list of hashes`);
  return value.map((hash, i) => {
    const bytes = bytesOf(hash, `${what} ${i}`);
    if (bytes.length !== HASH_SIZE) throw new MalformedBundleError(`${what} ${i} is not 32 bytes`);
    return bytes;
  });
}

/** Reads a bundle strictly: every member present and of its type, nothing else; messages name members, not values. */
export function parseBundle(text: string): ProofBundle {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedBundleError('not JSON');
  }
  if (!isRecord(json) || json['format'] !== BUNDLE_FORMAT) throw new MalformedBundleError(`not a ${BUNDLE_FORMAT}`);
  const { checkpoint, range, entries, previous } = json;
  if (Object.keys(json).length !== 5) throw new MalformedBundleError('unknown members');
  if (typeof checkpoint !== 'string') throw new MalformedBundleError('checkpoint is not a note');
  if (!isRecord(range) || !isCount(range['from']) || !isCount(range['to']) || range['from'] > range['to']) {
    throw new MalformedBundleError('range is not { from, to } with from <= to');
  }
  if (!Array.isArray(entries) || entries.length > MAX_BUNDLE_ENTRIES) {
    throw new MalformedBundleError(`entries is not a list of at most ${MAX_BUNDLE_ENTRIES}`);
  }
  if (!Array.isArray(previous) || previous.length > MAX_BUNDLE_PREVIOUS) {
    throw new MalformedBundleError(`previous is not a list of at most ${MAX_BUNDLE_PREVIOUS}`);
  }
  return {
    checkpoint,
    range: { from: range['from'], to: range['to'] },
    entries: entries.map((e: unknown, i) => {
      if (!isRecord(e) || !isCount(e['leafIndex'])) throw new MalformedBundleError(`entry ${i} has no leafIndex`);
      return {
        leafIndex: e['leafIndex'],
        entry: bytesOf(e['entry'], `entry ${i}`),
        proof: hashesOf(e['proof'], `proof ${i}`),
      };
    }),
    previous: previous.map((p: unknown, i) => {
      if (!isRecord(p) || typeof p['checkpoint'] !== 'string') {
        throw new MalformedBundleError(`previous ${i} has no checkpoint`);
      }
      return { checkpoint: p['checkpoint'], proof: hashesOf(p['proof'], `previous proof ${i}`) };
    }),
  };
}

export interface BundleVerification {
  readonly ok: boolean;
  /** The bundle's checkpoint, when it verified, with its cosignatures. */
  readonly cosigned?: TrustedCheckpoint;
  readonly range?: { readonly from: number; readonly to: number };
  /** Entries whose inclusion proof verified at their index. */
  readonly verified: number;
  readonly failures: readonly VerificationFailure[];
  readonly omitted: number;
}

/**
 * Checks a bundle under `policy`: its checkpoint is the log's and cosigned (quorum); every leaf of its range is
 * there once, in order, and proven at its index; every earlier checkpoint (its own and `trusted`) is a prefix of
 * it. `trusted` are checkpoints the verifier already holds: each needs a proof in the bundle from its size.
 */
export function verifyBundle(
  text: string,
  policy: TrustPolicy,
  options: { readonly trusted?: readonly string[]; readonly maxListed?: number } = {},
): BundleVerification {
  const failures = new Failures(options.maxListed ?? 20);
  const fail = failures.add.bind(failures);
  const done = (verified: number, cosigned?: TrustedCheckpoint, range?: ProofBundle['range']) => ({
    ok: failures.ok,
    ...(cosigned === undefined ? {} : { cosigned }),
    ...(range === undefined ? {} : { range }),
    verified,
    failures: failures.list,
    omitted: failures.omitted,
  });

  let bundle: ProofBundle;
  try {
    bundle = parseBundle(text);
  } catch (error) {
    fail('malformed-bundle', error instanceof MalformedBundleError ? error.message : 'unreadable');
    return done(0);
  }
  let cosigned: TrustedCheckpoint;
  try {
    cosigned = openTrustedCheckpoint(bundle.checkpoint, policy);
  } catch (error) {
    if (!(error instanceof UntrustedCheckpointError)) throw error;
    fail(error.code, `the bundle's checkpoint: ${error.message}`);
    return done(0, undefined, bundle.range);
  }
  const { size, rootHash } = cosigned.checkpoint;
  const { from, to } = bundle.range;
  if (to > size) {
    fail('malformed-bundle', `the range ends at ${to}, beyond the checkpoint's ${size} leaves`);
    return done(0, cosigned, bundle.range);
  }

  // Every index of the range once, in order: a gap is a deleted event, an extra or repeated index an inserted one.
  let verified = 0;
  let previousIndex = -1;
  const seen = new Set<number>();
  for (const entry of bundle.entries) {
    const index = entry.leafIndex;
    if (index < from || index >= to || seen.has(index)) {
      fail('unexpected-event', `an event at leaf ${index}, outside the range or repeated`, index);
      continue;
    }
    if (index < previousIndex) fail('reordered', `the event at leaf ${index} comes after leaf ${previousIndex}`, index);
    previousIndex = Math.max(previousIndex, index);
    seen.add(index);
    try {
      verifyInclusion({ index, size, leafHash: leafHash(entry.entry), proof: entry.proof, root: rootHash });
      verified += 1;
    } catch {
      fail('inclusion', `the event at leaf ${index} is not the log's leaf there (edited or moved)`, index);
    }
  }
  for (let index = from; index < to; index += 1) {
    if (!seen.has(index)) fail('missing-event', `the event at leaf ${index} is missing`, index);
  }

  const proven: Checkpoint[] = [];
  bundle.previous.forEach(({ checkpoint: note, proof }, i) => {
    let earlier: Checkpoint;
    try {
      earlier = openTrustedCheckpoint(note, policy, { cosigned: false }).checkpoint;
    } catch (error) {
      if (!(error instanceof UntrustedCheckpointError)) throw error;
      fail(error.code, `earlier checkpoint ${i + 1}: ${error.message}`);
      return;
    }
    if (earlier.size > size) {
      fail('truncated', `earlier checkpoint ${i + 1} has ${earlier.size} leaves, the bundle's ${size}`);
      return;
    }
    if (!consistent(earlier, cosigned.checkpoint, proof)) {
      fail('inconsistent', `earlier checkpoint ${i + 1} (${earlier.size} leaves) is not a prefix of the bundle's`);
      return;
    }
    proven.push(earlier);
  });
  (options.trusted ?? []).forEach((note, i) => {
    let held: Checkpoint;
    try {
      held = openTrustedCheckpoint(note, policy, { cosigned: false }).checkpoint;
    } catch (error) {
      if (!(error instanceof UntrustedCheckpointError)) throw error;
      fail(error.code, `trusted checkpoint ${i + 1}: ${error.message}`);
      return;
    }
    if (held.size === size) {
      if (!Buffer.from(held.rootHash).equals(rootHash)) {
        fail('inconsistent', `the trusted checkpoint of ${size} leaves has another root: a fork`);
      }
      return;
    }
    const match = proven.find((p) => p.size === held.size);
    if (match === undefined) {
      fail('no-consistency-proof', `the bundle proves nothing from the trusted checkpoint of ${held.size} leaves`);
    } else if (!Buffer.from(match.rootHash).equals(held.rootHash)) {
      fail('inconsistent', `the trusted checkpoint of ${held.size} leaves has another root: a fork`);
    }
  });
  return done(verified, cosigned, bundle.range);
}

function consistent(earlier: Checkpoint, later: Checkpoint, proof: readonly Uint8Array[]): boolean {
  if (earlier.size === 0) return proof.length === 0;
  try {
    verifyConsistency({
      size1: earlier.size,
      size2: later.size,
      root1: earlier.rootHash,
      root2: later.rootHash,
      proof,
    });
    return true;
  } catch {
    return false;
  }
}
