import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DirectorySnapshot, DirectoryVersion, PatientDirectory } from './directory.ts';
import { DirectoryLoadError, formatProblem, type DirectoryProblem } from './problems.ts';
import { DIRECTORY_LIMITS } from './schema.ts';
import { buildSnapshot, hashSources } from './snapshot.ts';
import { validateDirectoryData, type DirectorySource } from './validate.ts';

/** Paths of the three JSON files (see README "File formats"). */
export type DirectoryFiles = Readonly<Record<DirectorySource, string>>;

/** Any @hub/logger logger fits. Only versions, counts and problem texts (which carry no values) are logged. */
export interface DirectoryLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface FileDirectoryOptions {
  readonly files: DirectoryFiles;
  readonly logger?: DirectoryLogger;
  /** The clock for `loadedAt`; default `() => new Date()`. */
  readonly now?: () => Date;
}

export type ReloadResult =
  /** New content, valid: now serving it. */
  | { readonly outcome: 'reloaded'; readonly version: DirectoryVersion; readonly previous: DirectoryVersion }
  /** Same content as already served: nothing swapped, the version (and its loadedAt) is unchanged. */
  | { readonly outcome: 'unchanged'; readonly version: DirectoryVersion }
  /** Invalid or unreadable: still serving `version`, the data from before. */
  | {
      readonly outcome: 'rejected';
      readonly version: DirectoryVersion;
      readonly problems: readonly DirectoryProblem[];
      readonly problemCount: number;
    };

/**
 * The file-backed directory. Answers from the current snapshot; `reload()` re-reads the files and swaps in a new
 * snapshot only if they are valid. For several lookups that must agree (and to record the version used), take
 * `current()` once and use the snapshot.
 */
export interface FileDirectory extends PatientDirectory {
  /** The version being served now. */
  readonly version: DirectoryVersion;
  current(): DirectorySnapshot;
  /** Reloads run one at a time, in call order. Never throws for bad data: see `ReloadResult`. */
  reload(): Promise<ReloadResult>;
}

/** Reads, validates and indexes the three files. Throws `DirectoryLoadError` listing every problem. */
export async function loadFileDirectory(options: FileDirectoryOptions): Promise<FileDirectory> {
  const now = options.now ?? (() => new Date());
  const loaded = await readDirectoryFiles(options.files, now);
  if (!loaded.ok) throw new DirectoryLoadError(loaded.problems);
  let current = loaded.snapshot;
  options.logger?.info({ ...current.version, ...current.counts }, 'directory loaded');

  let queue: Promise<unknown> = Promise.resolve();

  async function reloadNow(): Promise<ReloadResult> {
    const next = await readDirectoryFiles(options.files, now, current.version.contentHash);
    if (!next.ok) {
      const error = new DirectoryLoadError(next.problems);
      options.logger?.warn(
        {
          keptContentHash: current.version.contentHash,
          problemCount: error.problemCount,
          problems: error.problems.slice(0, 20).map(formatProblem),
        },
        'directory reload rejected; still serving the previous data',
      );
      return {
        outcome: 'rejected',
        version: current.version,
        problems: error.problems,
        problemCount: error.problemCount,
      };
    }
    if (next.snapshot === undefined) return { outcome: 'unchanged', version: current.version };
    const previous = current.version;
    current = next.snapshot; // the swap: one assignment, so a lookup sees the old data or the new, never a mix
    options.logger?.info(
      { ...current.version, ...current.counts, previousContentHash: previous.contentHash },
      'directory reloaded',
    );
    return { outcome: 'reloaded', version: current.version, previous };
  }

  return {
    get version() {
      return current.version;
    },
    current: () => current,
    findByNhsNumber: (nhsNumber) => current.findByNhsNumber(nhsNumber),
    trace: (query) => current.trace(query),
    practice: (ods) => current.practice(ods),
    localAuthority: (ons) => current.localAuthority(ons),
    reload: () => {
      const result = queue.then(reloadNow);
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

type ReadResult<S> = { ok: true; snapshot: S } | { ok: false; problems: readonly DirectoryProblem[] };

/**
 * Reads and validates the files. With `unlessHash`, returns `snapshot: undefined` when the content hashes to it
 * (nothing changed, nothing rebuilt).
 */
async function readDirectoryFiles(files: DirectoryFiles, now: () => Date): Promise<ReadResult<DirectorySnapshot>>;
async function readDirectoryFiles(
  files: DirectoryFiles,
  now: () => Date,
  unlessHash: string,
): Promise<ReadResult<DirectorySnapshot | undefined>>;
async function readDirectoryFiles(
  files: DirectoryFiles,
  now: () => Date,
  unlessHash?: string,
): Promise<ReadResult<DirectorySnapshot | undefined>> {
  const names = {
    patients: basename(files.patients),
    practices: basename(files.practices),
    localAuthorities: basename(files.localAuthorities),
  };
  const [patients, practices, localAuthorities] = await Promise.all([
    readJsonFile(files.patients, names.patients),
    readJsonFile(files.practices, names.practices),
    readJsonFile(files.localAuthorities, names.localAuthorities),
  ]);
  if (!patients.ok || !practices.ok || !localAuthorities.ok) {
    // In source order, whatever order the reads finished in.
    const problems = [patients, practices, localAuthorities].flatMap((read) => (read.ok ? [] : [read.problem]));
    return { ok: false, problems };
  }

  const contentHash = hashSources([patients.bytes, practices.bytes, localAuthorities.bytes]);
  if (contentHash === unlessHash) return { ok: true, snapshot: undefined };

  const result = validateDirectoryData(
    { patients: patients.json, practices: practices.json, localAuthorities: localAuthorities.json },
    names,
  );
  if (!result.ok) return { ok: false, problems: result.problems };
  return { ok: true, snapshot: buildSnapshot(result.records, { contentHash, loadedAt: now().toISOString() }) };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

type FileRead = { ok: true; bytes: Uint8Array; json: unknown } | { ok: false; problem: DirectoryProblem };

async function readJsonFile(path: string, file: string): Promise<FileRead> {
  const fail = (problem: string): FileRead => ({ ok: false, problem: { file, problem } });
  let bytes: Uint8Array;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) return fail('is not a file');
    if (stats.size > DIRECTORY_LIMITS.fileBytes) return fail(`must be at most ${DIRECTORY_LIMITS.fileBytes} bytes`);
    bytes = await readFile(path);
  } catch (error) {
    // The code (ENOENT, EACCES...) says what happened; the message would repeat the path.
    const code = (error as { code?: unknown }).code;
    return fail(`cannot be read${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  // The file may have grown between stat and read.
  if (bytes.length > DIRECTORY_LIMITS.fileBytes) return fail(`must be at most ${DIRECTORY_LIMITS.fileBytes} bytes`);
  let text: string;
  try {
    text = UTF8.decode(bytes); // also drops a leading byte-order mark
  } catch {
    return fail('is not valid UTF-8');
  }
  try {
    return { ok: true, bytes, json: JSON.parse(text) as unknown };
  } catch (error) {
    // V8's message quotes the text around the error, which can be personal data: keep only the position.
    const where = /line (\d+) column (\d+)/.exec(error instanceof Error ? error.message : '');
    return fail(where === null ? 'is not valid JSON' : `is not valid JSON (line ${where[1]} column ${where[2]})`);
  }
}
