import type { z } from 'zod';
import type { DeadLetterReason } from './dead-letter.ts';

/**
 * Decoded, checked record values shared by the consumer groups of one process. In the hub every service runs in one
 * process, so one audit record is read by about five groups; without this each of them JSON-parses it and runs its
 * zod contract again (the largest part of reading a record).
 *
 * An entry is found by the record's coordinates (topic, partition, offset) but used only when its schema is the same
 * object and its value's bytes are equal to the record's: coordinates alone do not identify content for the life of a
 * process (a topic deleted and recreated under the same name, an unclean leader election that rewrites a partition's
 * tail, two clients of different namespaces reading the same logical topic). With the bytes compared, a wrong hit is
 * impossible by construction; those cases are misses that replace the entry.
 *
 * Values are handed out as private copies: zod answers plain mutable objects and handlers are free to change what
 * they are given, so no group may receive an object another group holds.
 */

/**
 * Bounds of the process's cache; the oldest entries are dropped first (readers of one record are close in time). Sized
 * on the hub under a 2,000-incident burst: audit records (~0.5 KB) are read by ~3.6 groups on average but the slowest
 * of them can be thousands of records behind the first (4,096 entries dropped 12% of them unread), and records of
 * single-reader topics (1-5 KB) take their share of the bytes.
 */
export const INBOUND_CACHE_LIMITS = {
  /** Entries held. */
  maxEntries: 16_384,
  /** Sum of the cached records' value bytes (each entry also holds the decoded value, a few times its bytes). */
  maxBytes: 16 * 1024 * 1024,
  /**
   * A topic whose cached records are read again less than once in `minReuseOneIn` (one group reads it in this process,
   * or a rare second one) is cached one record in `probeEvery` only: copying its values would be waste. Counted over
   * roughly its last `trialEntries` to `2 × trialEntries` cached records (both counts are halved past that), after a
   * first `trialEntries` cached in full; probes that are read again turn caching back on.
   */
  trialEntries: 1024,
  minReuseOneIn: 8,
  probeEvery: 64,
} as const;

export type InboundCacheLimits = { readonly [K in keyof typeof INBOUND_CACHE_LIMITS]: number };

/** Topics whose use is tracked; past it the tracking starts again (every topic on trial). */
const MAX_TOPICS = 1024;

/** Per topic: how many of its records were cached and how many readings were answered from the cache. */
interface TopicUse {
  kept: number;
  hits: number;
  passed: number;
}

/** What reading a record's value came to: a value to copy out, or why it cannot be read (strings, shared as they are). */
export type CachedOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly detail: string };

interface Entry {
  readonly schema: z.ZodType;
  /** A copy: the record's own buffer is a slice of its whole fetch response, which must not be kept alive. */
  readonly bytes: Buffer;
  readonly outcome: CachedOutcome;
}

export interface InboundCache {
  /**
   * The outcome of reading `bytes` against `schema` at these coordinates: the cached one when the same schema read the
   * same bytes there, else `read()`'s, remembered. An ok value is a fresh copy on every call.
   */
  outcome(
    topic: string,
    partition: number,
    offset: string,
    schema: z.ZodType,
    bytes: Buffer,
    read: () => CachedOutcome,
  ): CachedOutcome;
  readonly size: number;
  readonly bytes: number;
}

export function createInboundCache(bounds: Partial<InboundCacheLimits> = {}): InboundCache {
  const limits: InboundCacheLimits = { ...INBOUND_CACHE_LIMITS, ...bounds };
  const entries = new Map<string, Entry>();
  const uses = new Map<string, TopicUse>();
  let heldBytes = 0;

  function useOf(topic: string): TopicUse {
    let use = uses.get(topic);
    if (use === undefined) {
      // A process reads a fixed set of topics; only a test process making a topic per test gets here often.
      if (uses.size >= MAX_TOPICS) uses.clear();
      use = { kept: 0, hits: 0, passed: 0 };
      uses.set(topic, use);
    }
    return use;
  }

  function worthKeeping(use: TopicUse): boolean {
    if (use.kept < limits.trialEntries || use.hits * limits.minReuseOneIn >= use.kept) return true;
    return use.passed++ % limits.probeEvery === 0;
  }

  // Insertion order, for dropping the oldest (iterating a Map from its start after many deletes is slow in V8: it
  // skips every deleted slot). An item whose entry was replaced since is stale and skipped.
  let queue: { readonly key: string; readonly entry: Entry }[] = [];
  let head = 0;

  function dropOldest(): void {
    while (head < queue.length) {
      const oldest = queue[head++];
      if (oldest !== undefined && entries.get(oldest.key) === oldest.entry) {
        drop(oldest.key, oldest.entry);
        break;
      }
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  function drop(key: string, entry: Entry): void {
    entries.delete(key);
    heldBytes -= entry.bytes.length;
  }

  function remember(key: string, entry: Entry, use: TopicUse): void {
    if (entry.bytes.length > limits.maxBytes || limits.maxEntries < 1) return;
    if (++use.kept >= 2 * limits.trialEntries) {
      use.kept >>= 1;
      use.hits >>= 1;
    }
    while (
      head < queue.length &&
      (entries.size >= limits.maxEntries || heldBytes + entry.bytes.length > limits.maxBytes)
    ) {
      dropOldest();
    }
    entries.set(key, entry);
    queue.push({ key, entry });
    heldBytes += entry.bytes.length;
  }

  return {
    outcome(topic, partition, offset, schema, bytes, read) {
      // Topic names cannot contain a space (topic-names.ts), so the key is unambiguous.
      const key = `${topic} ${partition} ${offset}`;
      const use = useOf(topic);
      const found = entries.get(key);
      if (found !== undefined) {
        if (found.schema === schema && found.bytes.equals(bytes)) {
          use.hits++;
          return handedOut(found.outcome);
        }
        drop(key, found);
      }
      const outcome = read();
      if (!worthKeeping(use)) return outcome;
      if (!outcome.ok) {
        remember(key, { schema, bytes: Buffer.from(bytes), outcome }, use);
        return outcome;
      }
      const kept = copyPlain(outcome.value);
      // A value that is not plain data (a transform's class instance) cannot be copied faithfully: not cached.
      if (kept === NOT_PLAIN) return outcome;
      remember(key, { schema, bytes: Buffer.from(bytes), outcome: { ok: true, value: kept } }, use);
      return outcome;
    },
    get size() {
      return entries.size;
    },
    get bytes() {
      return heldBytes;
    },
  };
}

function handedOut(outcome: CachedOutcome): CachedOutcome {
  // The cached value was checked to be plain when it was remembered.
  return outcome.ok ? { ok: true, value: copyPlain(outcome.value) } : outcome;
}

const NOT_PLAIN: unique symbol = Symbol('not plain data');

/**
 * A deep copy of JSON-shaped data (what zod answers for a JSON input: plain objects, arrays, primitives), or NOT_PLAIN.
 * Much cheaper than parsing and checking again, and than structuredClone.
 */
function copyPlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? NOT_PLAIN : value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = copyPlain(value[i]);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      out[i] = item;
    }
    return out;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
  const out: Record<string, unknown> = prototype === null ? (Object.create(null) as Record<string, unknown>) : {};
  for (const key of Object.keys(value)) {
    const item = copyPlain((value as Record<string, unknown>)[key]);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    // An own `__proto__` key (JSON.parse makes one) must stay a key, not become the copy's prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}
