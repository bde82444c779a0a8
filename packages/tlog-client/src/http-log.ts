import {
  HASH_SIZE,
  MAX_ENTRY_BYTES,
  MAX_NOTE_BYTES,
  TILE_WIDTH,
  decodeEntryBundle,
  encodeEntryBundle,
  tilePath,
  type LogSource,
} from '@hub/tlog';
import { readLimitedBytes } from './read-limited.ts';

// A log read over HTTP as C2SP tlog-tiles lays it out under a prefix (the hub: `/v1/audit/log/`): `checkpoint`,
// `cosigned-checkpoint`, `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, with a bearer token when the log
// asks for one (the hub: any caller for tiles and checkpoints, IG roles for entries).

export const HTTP_LOG_LIMITS = {
  /** One request (a bundle of 256 events is the largest). */
  timeoutMs: 30_000,
  /** A tile: 256 hashes. */
  tileBytes: TILE_WIDTH * HASH_SIZE,
  /** An entry bundle: 256 entries of at most 64 KiB each, with their length prefixes. */
  bundleBytes: TILE_WIDTH * (2 + MAX_ENTRY_BYTES),
  noteBytes: MAX_NOTE_BYTES,
  /** A request that failed on the network or with 5xx is tried again this many times, a second apart. */
  retries: 2,
} as const;

/** The log answered something other than the data or 404: the verification cannot go on (`unavailable`). */
export class LogReadError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'LogReadError';
    this.status = status;
  }
}

export interface HttpLogOptions {
  /** The log's prefix, e.g. `https://hub.example/v1/audit/log/` (a missing final slash is added). */
  readonly url: string;
  /** An access token for `Authorization: Bearer` (the hub's IG token, for entries). */
  readonly token?: string;
  /** Paths under the prefix of the two checkpoints; default `checkpoint` and `cosigned-checkpoint`. */
  readonly paths?: { readonly checkpoint?: string; readonly cosignedCheckpoint?: string };
}

/**
 * The `LogSource` of a log served over HTTP. A partial tile or bundle the log no longer serves (it grew since the
 * checkpoint was read) is read from the full one instead and cut to the width asked, as C2SP tlog-tiles allows.
 */
export function httpLogSource(options: HttpLogOptions): LogSource & { readonly prefix: string } {
  const prefix = options.url.endsWith('/') ? options.url : `${options.url}/`;
  const base = new URL(prefix);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new TypeError('a log URL is http(s)');
  const headers: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };

  async function get(path: string, limit: number): Promise<Buffer | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      let status: number | undefined;
      try {
        const response = await fetch(new URL(path, base), {
          headers,
          signal: AbortSignal.timeout(HTTP_LOG_LIMITS.timeoutMs),
          redirect: 'error',
        });
        status = response.status;
        if (status === 200) return await readLimitedBytes(response, limit);
        await response.body?.cancel();
        if (status === 404) return undefined;
        if (status < 500 && status !== 429) {
          throw new LogReadError(`the log answered ${status} for ${path}`, status);
        }
      } catch (error) {
        if (error instanceof LogReadError || attempt >= HTTP_LOG_LIMITS.retries) {
          throw error instanceof LogReadError ? error : new LogReadError('the log could not be read', status);
        }
      }
      if (attempt >= HTTP_LOG_LIMITS.retries) throw new LogReadError(`the log answered ${status}`, status);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  const note = async (path: string) => (await get(path, HTTP_LOG_LIMITS.noteBytes))?.toString('utf8');

  /** The partial tile at `width`, or the full one cut to `width` when the partial one is gone. */
  async function tileBytes(kind: 'hashes' | 'entries', level: number, index: number, width: number) {
    const limit = kind === 'hashes' ? HTTP_LOG_LIMITS.tileBytes : HTTP_LOG_LIMITS.bundleBytes;
    const exact = await get(tilePath({ level, index, width }, kind), limit);
    if (exact !== undefined || width === TILE_WIDTH) return { bytes: exact, full: false };
    return { bytes: await get(tilePath({ level, index, width: TILE_WIDTH }, kind), limit), full: true };
  }

  return {
    prefix,
    checkpoint: () => note(options.paths?.checkpoint ?? 'checkpoint'),
    cosignedCheckpoint: () => note(options.paths?.cosignedCheckpoint ?? 'cosigned-checkpoint'),
    async tile(level, index, width) {
      const { bytes, full } = await tileBytes('hashes', level, index, width);
      return full && bytes !== undefined && bytes.length >= width * HASH_SIZE
        ? bytes.subarray(0, width * HASH_SIZE)
        : bytes;
    },
    async entryBundle(index, width) {
      const { bytes, full } = await tileBytes('entries', 0, index, width);
      if (!full || bytes === undefined) return bytes;
      try {
        return encodeEntryBundle(decodeEntryBundle(bytes).slice(0, width));
      } catch {
        return bytes; // malformed: the verifier says so
      }
    },
  };
}
