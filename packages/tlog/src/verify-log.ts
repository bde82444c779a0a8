import type { Checkpoint } from './checkpoint.ts';
import { decodeEntryBundle } from './entry-bundles.ts';
import { Frontier } from './frontier.ts';
import { leafHash } from './merkle.ts';
import { TILE_HEIGHT, TILE_WIDTH, decodeTile, tileWidth } from './tiles.ts';
import { UntrustedCheckpointError, openTrustedCheckpoint, type TrustPolicy, type TrustedCheckpoint } from './trust.ts';
import { Failures, type VerificationFailure } from './verification.ts';

// Verifying a whole log from what it serves (C2SP tlog-tiles and tlog-checkpoint), with only the log's and its
// witnesses' public keys: every entry is hashed, the tree is rebuilt from those hashes (in log2(size) memory) and
// compared with every served tile and with the root of every checkpoint the verifier has, so an edited, inserted,
// deleted or reordered entry, a truncated, rewritten or wiped log and a fork each show as a named failure.

/** Where the log's data comes from: its HTTP API (`@hub/tlog-client`), a copy on disk, or a test's own tree. */
export interface LogSource {
  /** The log's latest signed checkpoint note; undefined when it serves none. */
  checkpoint(): Promise<string | undefined>;
  /** The latest checkpoint the log holds with its witnesses' cosignatures; undefined when it has none. */
  cosignedCheckpoint(): Promise<string | undefined>;
  /**
   * The first `width` hashes of the tile `index` at tile level `level` (`tile/<L>/<N>[.p/<W>]`, or a wider copy of
   * it cut down); undefined when the log does not serve it.
   */
  tile(level: number, index: number, width: number): Promise<Uint8Array | undefined>;
  /** The entry bundle of leaves `index·256` to `index·256 + width − 1`; undefined when the log does not serve it. */
  entryBundle(index: number, width: number): Promise<Uint8Array | undefined>;
}

export interface LogVerification {
  readonly ok: boolean;
  /** Leaves hashed and checked. */
  readonly leaves: number;
  /** The log's latest signed checkpoint, when it verified. */
  readonly latest?: Checkpoint;
  /** The latest cosigned checkpoint, when it verified, with its cosignatures. */
  readonly cosigned?: TrustedCheckpoint;
  /** The failures, at most `maxListed` per code (then `omitted` counts the rest). */
  readonly failures: readonly VerificationFailure[];
  readonly omitted: number;
}

export interface VerifyLogOptions {
  /**
   * Checkpoints the verifier already trusts (from an earlier run, from the witness's monitoring endpoint, from a
   * bundle): each must be signed by the log and be a prefix of the log now.
   */
  readonly trusted?: readonly string[];
  /** Failures listed per code; default 20. */
  readonly maxListed?: number;
  /** Told how many leaves are done, every tile. */
  readonly onProgress?: (leaves: number, size: number) => void;
}

interface Target {
  readonly size: number;
  readonly root: Uint8Array;
  readonly what: 'latest' | 'cosigned' | 'trusted';
}

function openOrFail(
  note: string,
  policy: TrustPolicy,
  cosigned: boolean,
  what: string,
  failures: Failures,
): TrustedCheckpoint | undefined {
  try {
    return openTrustedCheckpoint(note, policy, { cosigned });
  } catch (error) {
    if (!(error instanceof UntrustedCheckpointError)) throw error;
    failures.add(error.code, `the ${what} checkpoint: ${error.message}`);
    return undefined;
  }
}

/** Verifies the whole log `source` serves, under `policy`. Never throws for what the log serves: it reports. */
export async function verifyLog(
  source: LogSource,
  policy: TrustPolicy,
  options: VerifyLogOptions = {},
): Promise<LogVerification> {
  const failures = new Failures(options.maxListed ?? 20);
  const result = (leaves: number, latest?: TrustedCheckpoint, cosigned?: TrustedCheckpoint): LogVerification => ({
    ok: failures.ok,
    leaves,
    ...(latest === undefined ? {} : { latest: latest.checkpoint }),
    ...(cosigned === undefined ? {} : { cosigned }),
    failures: failures.list,
    omitted: failures.omitted,
  });

  let latestNote: string | undefined;
  let cosignedNote: string | undefined;
  try {
    [latestNote, cosignedNote] = await Promise.all([source.checkpoint(), source.cosignedCheckpoint()]);
  } catch {
    failures.add('unavailable', 'the checkpoints could not be read');
    return result(0);
  }
  const latest = latestNote === undefined ? undefined : openOrFail(latestNote, policy, false, 'latest', failures);
  const cosigned =
    cosignedNote === undefined ? undefined : openOrFail(cosignedNote, policy, true, 'cosigned', failures);
  if (cosignedNote === undefined && policy.witnessKeys.length > 0) {
    failures.add('missing-cosignature', 'the log serves no cosigned checkpoint');
  }
  const trusted = (options.trusted ?? []).flatMap((note, i) => {
    const opened = openOrFail(note, policy, false, `trusted (${i + 1})`, failures);
    return opened === undefined ? [] : [opened];
  });

  // The tree the log serves now is its latest checkpoint's (or the cosigned one's when it serves no other).
  const served = latest ?? cosigned;
  if (latestNote === undefined && cosignedNote === undefined) {
    failures.add(
      trusted.some((t) => t.checkpoint.size > 0) ? 'wiped' : 'no-checkpoint',
      'the log serves no checkpoint',
    );
  }
  if (served === undefined) return result(0, latest, cosigned);
  const size = served.checkpoint.size;

  const targets: Target[] = [];
  const addTarget = (checkpoint: Checkpoint, what: Target['what']) => {
    if (checkpoint.size > size) {
      failures.add(
        size === 0 ? 'wiped' : 'truncated',
        `the log has ${size} leaves, its ${what} checkpoint ${checkpoint.size}`,
      );
    } else {
      targets.push({ size: checkpoint.size, root: checkpoint.rootHash, what });
    }
  };
  if (latest !== undefined) addTarget(latest.checkpoint, 'latest');
  if (cosigned !== undefined) addTarget(cosigned.checkpoint, 'cosigned');
  for (const t of trusted) addTarget(t.checkpoint, 'trusted');

  const leaves = await rebuild(source, size, targets, failures, options.onProgress);
  return result(leaves, latest, cosigned);
}

/** Streams leaves 0 to size − 1 through a frontier, checking entries, tiles and roots; returns leaves checked. */
async function rebuild(
  source: LogSource,
  size: number,
  targets: readonly Target[],
  failures: Failures,
  onProgress: ((leaves: number, size: number) => void) | undefined,
): Promise<number> {
  const frontier = new Frontier();
  const checkRoots = () => {
    for (const target of targets) {
      if (target.size !== frontier.size) continue;
      if (Buffer.from(frontier.root()).equals(target.root)) continue;
      if (target.what === 'trusted') {
        failures.add('inconsistent', `the log is not consistent with the trusted checkpoint of ${target.size} leaves`);
      } else {
        failures.add(
          'root-mismatch',
          `the ${target.what} checkpoint's root is not the root of its ${target.size} leaves`,
        );
      }
    }
  };
  checkRoots(); // size-0 targets

  // The served hash tile of each level above 0 currently read, compared with each node the rebuild completes there.
  const upper = new Map<number, { index: number; hashes: Buffer[] | undefined }>();
  const checkUpper = async (level: number, index: number, hash: Uint8Array): Promise<void> => {
    const tileLevel = level / TILE_HEIGHT;
    const tileIndex = Math.floor(index / TILE_WIDTH);
    let tile = upper.get(tileLevel);
    if (tile?.index !== tileIndex) {
      const width = tileWidth(tileLevel, tileIndex, size);
      tile = { index: tileIndex, hashes: await readTile(source, tileLevel, tileIndex, width, failures) };
      upper.set(tileLevel, tile);
    }
    const served = tile.hashes?.[index % TILE_WIDTH];
    if (served !== undefined && !served.equals(hash)) {
      failures.add('tile-mismatch', `tile level ${tileLevel}, index ${tileIndex}: hash ${index % TILE_WIDTH} differs`);
    }
  };

  const bundles = Math.ceil(size / TILE_WIDTH);
  for (let bundle = 0; bundle < bundles; bundle += 1) {
    const width = tileWidth(0, bundle, size);
    const first = bundle * TILE_WIDTH;
    let hashes: Buffer[] | undefined;
    let entries: Buffer[] | undefined;
    try {
      hashes = await readTile(source, 0, bundle, width, failures);
      entries = await readEntries(source, bundle, width, failures);
    } catch {
      failures.add('unavailable', `the log could not be read at leaf ${first}`, first);
      return frontier.size;
    }
    if (entries === undefined) return frontier.size; // nothing past a gap can be rebuilt
    const short = entries.length < width;
    const completed: { level: number; index: number; hash: Uint8Array }[] = [];
    entries.forEach((entry, i) => {
      const hash = leafHash(entry);
      const served = hashes?.[i];
      if (served !== undefined && !served.equals(hash)) {
        failures.add('entry-mismatch', `leaf ${first + i}: the entry is not the one the log hashed there`, first + i);
      }
      frontier.append(hash, (node, nodeHashValue) => {
        if (node.level > 0 && node.level % TILE_HEIGHT === 0) completed.push({ ...node, hash: nodeHashValue });
      });
      checkRoots();
    });
    try {
      for (const node of completed) await checkUpper(node.level, node.index, node.hash);
    } catch {
      failures.add('unavailable', `the log's tiles could not be read past leaf ${first}`, first);
      return frontier.size;
    }
    // Leaves are missing from this bundle: every later one would sit at the wrong index.
    if (short) return frontier.size;
    onProgress?.(frontier.size, size);
  }
  return frontier.size;
}

async function readTile(
  source: LogSource,
  level: number,
  index: number,
  width: number,
  failures: Failures,
): Promise<Buffer[] | undefined> {
  const bytes = await source.tile(level, index, width);
  if (bytes === undefined) {
    failures.add('malformed-tile', `tile level ${level}, index ${index} is not served`);
    return undefined;
  }
  try {
    return decodeTile(bytes, width);
  } catch {
    failures.add('malformed-tile', `tile level ${level}, index ${index} is not ${width} hashes`);
    return undefined;
  }
}

async function readEntries(
  source: LogSource,
  index: number,
  width: number,
  failures: Failures,
): Promise<Buffer[] | undefined> {
  const first = index * TILE_WIDTH;
  const bytes = await source.entryBundle(index, width);
  if (bytes === undefined) {
    failures.add('missing-entries', `the entries from leaf ${first} are not served`, first);
    return undefined;
  }
  let entries: Buffer[];
  try {
    entries = decodeEntryBundle(bytes);
  } catch {
    failures.add('missing-entries', `the entry bundle from leaf ${first} is malformed`, first);
    return undefined;
  }
  if (entries.length !== width) {
    failures.add(
      'missing-entries',
      `the bundle from leaf ${first} holds ${entries.length} entries, not ${width}`,
      first,
    );
    return entries.slice(0, width);
  }
  return entries;
}
