import { createHash } from 'node:crypto';
import { AUDIT_INTEGRITY_LIMITS, canonicalJson, storedAuditEvent, type AuditEvent } from '@hub/contracts';
import type { RedisClient } from '@hub/redis';
import { placeEvent, type AuditScope, type EventPlacement, type PracticeAreas } from './scope.ts';

/**
 * The audit store: a Redis view of `audit.events.v1`, searchable by receipt, NHS number, recipient and time, and
 * tamper-evident. Each Kafka partition's events form a hash chain (`chainHash = sha256(previous chainHash +
 * canonical event)`), so editing or deleting a stored event breaks every later link; `verifyChain` checks it.
 * Kafka stays the record: the store can be rebuilt by replaying the topic.
 */
export interface StoredAuditEvent extends AuditEvent {
  readonly chain: { readonly partition: number; readonly position: number; readonly hash: string };
}

export interface AuditQuery {
  readonly receiptId?: string | undefined;
  readonly nhsNumber?: string | undefined;
  readonly recipient?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  /** Continue after this event (the last one of the previous page). */
  readonly after?: { readonly time: number; readonly eventId: string } | undefined;
  readonly limit: number;
  /** Whose events may be returned (see scope.ts). */
  readonly scope: AuditScope;
}

/** A stored event the search met but could not read; where it sits in its chain, if recorded. Never content. */
export interface UnreadableAuditEvent {
  /** Its index score (event time, ms) and id: where it falls in the search order. */
  readonly time: number;
  readonly eventId: string;
  readonly partition: number | undefined;
  readonly position: number | undefined;
}

export interface AuditSearchResult {
  /** Matching events, oldest first, at most `limit`. */
  readonly events: StoredAuditEvent[];
  /** Unreadable events among those scanned, in search order. */
  readonly unreadable: UnreadableAuditEvent[];
}

const GENESIS = '0'.repeat(64);
/** Links read per round trip by verifyChain. */
const CHAIN_BATCH = 500;

/** A stored event, or undefined when the stored text is not one (tampering shows as a broken link, not a 500). */
function parseStored(value: string): StoredAuditEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const chain: unknown = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'chain') : undefined;
  return typeof chain === 'object' && chain !== null ? (parsed as StoredAuditEvent) : undefined;
}

/** A stored event for search: it must be a whole stored audit event, and the one its key names. */
function readStored(value: string | null, eventId: string): StoredAuditEvent | undefined {
  if (value === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const stored = storedAuditEvent.safeParse(parsed);
  return stored.success && stored.data.eventId === eventId ? stored.data : undefined;
}

const keys = {
  event: (eventId: string) => `audit:event:${eventId}`,
  head: (partition: number) => `audit:chain:${partition}:head`,
  link: (partition: number) => `audit:chain:${partition}:links`,
  byTime: 'audit:index:time',
  byReceipt: (receiptId: string) => `audit:index:receipt:${receiptId}`,
  byNhsNumber: (nhsNumber: string) => `audit:index:nhs:${nhsNumber}`,
  byRecipient: (recipient: string) => `audit:index:recipient:${recipient}`,
  byScope: (code: string) => `audit:index:scope:${code}`,
  /** Hash: event id -> `<partition>:<position>`, so an event that no longer parses can still be located. */
  positions: 'audit:positions',
  /** Set: the areas a record (receipt, plan version, …) reached. */
  recordAreas: (record: string) => `audit:record:${record}:areas`,
  /** Sorted set: the record's events with no area of their own; they take each area the record reaches. */
  recordArealess: (record: string) => `audit:record:${record}:arealess`,
};

// Stores the event and extends its partition's chain atomically, only if the chain head is still `previous`.
// Returns 1 stored, 0 already stored (redelivery), -1 head moved (a concurrent writer; retry).
const APPEND = `
if redis.call('exists', KEYS[1]) == 1 then return 0 end
local head = redis.call('get', KEYS[2]) or ARGV[1]
if head ~= ARGV[2] then return -1 end
redis.call('set', KEYS[1], ARGV[3])
redis.call('set', KEYS[2], ARGV[4])
redis.call('rpush', KEYS[3], ARGV[5])
redis.call('hset', KEYS[4], ARGV[5], ARGV[7])
local score = tonumber(ARGV[6])
for i = 5, #KEYS do redis.call('zadd', KEYS[i], score, ARGV[5]) end
return 1`;

// Adds every member of KEYS[2] (a record's area-less events) to KEYS[1] (an area's scope index), with its score.
const COPY_INTO = `
local items = redis.call('zrange', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #items, 2 do redis.call('zadd', KEYS[1], items[i + 1], items[i]) end
return #items / 2`;

function indexKeys(event: AuditEvent): string[] {
  return [
    keys.byTime,
    ...(event.receiptId === null ? [] : [keys.byReceipt(event.receiptId)]),
    ...(event.nhsNumber === null ? [] : [keys.byNhsNumber(event.nhsNumber)]),
    ...(event.recipient === null ? [] : [keys.byRecipient(event.recipient)]),
  ];
}

export function chainHash(previous: string, event: AuditEvent): string {
  return createHash('sha256').update(previous).update(canonicalJson(event)).digest('hex');
}

/** Parses `<partition>:<position>` as kept in `audit:positions`. */
function positionOf(value: string | null): { partition: number | undefined; position: number | undefined } {
  const match = value === null ? null : /^(\d{1,4}):(\d{1,15})$/.exec(value);
  return match === null
    ? { partition: undefined, position: undefined }
    : { partition: Number(match[1]), position: Number(match[2]) };
}

/**
 * `directory` maps practices to their local authorities when an event is placed in the scope indexes (scope.ts).
 */
export function createAuditStore(redis: RedisClient, directory: PracticeAreas) {
  /** Stores and chains the event, then places it in the scope indexes (again on a redelivery: idempotent). */
  async function append(event: AuditEvent, partition: number): Promise<'stored' | 'duplicate'> {
    const result = await chain(event, partition);
    await place(event, await placeEvent(event, directory));
    return result;
  }

  async function chain(event: AuditEvent, partition: number): Promise<'stored' | 'duplicate'> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const previous = (await redis.get(keys.head(partition))) ?? GENESIS;
      const position = await redis.llen(keys.link(partition));
      const hash = chainHash(previous, event);
      const stored: StoredAuditEvent = { ...event, chain: { partition, position, hash } };
      const index = indexKeys(event);
      const result = (await redis.eval(
        APPEND,
        4 + index.length,
        keys.event(event.eventId),
        keys.head(partition),
        keys.link(partition),
        keys.positions,
        ...index,
        GENESIS,
        previous,
        JSON.stringify(stored),
        hash,
        event.eventId,
        String(Date.parse(event.at)),
        `${partition}:${position}`,
      )) as number;
      if (result === 1) return 'stored';
      if (result === 0) return 'duplicate';
    }
    throw new Error('audit chain head kept moving; is a second writer consuming the same partition?');
  }

  /**
   * Adds the event to its scope indexes. A record's area-less events (the police intake, identity matching) take
   * every area the record reaches, whichever arrives first: an area is added to the record before its area-less
   * events are copied into it, and an area-less event joins the record's list before reading its areas, so
   * neither order misses one.
   */
  async function place(event: AuditEvent, placement: EventPlacement): Promise<void> {
    const score = Date.parse(event.at);
    const { record } = placement;
    const own = redis.multi();
    for (const code of placement.scopes) own.zadd(keys.byScope(code), score, event.eventId);
    if (record !== null && placement.recordAreas.length > 0)
      own.sadd(keys.recordAreas(record), ...placement.recordAreas);
    await own.exec();
    if (record === null) return;
    for (const area of placement.recordAreas) {
      await redis.eval(COPY_INTO, 2, keys.byScope(area), keys.recordArealess(record));
    }
    if (placement.areas.length > 0) return;
    const joined = await redis
      .multi()
      .zadd(keys.recordArealess(record), score, event.eventId)
      .smembers(keys.recordAreas(record))
      .exec();
    const areas = (joined?.[1]?.[1] as string[] | undefined) ?? [];
    if (areas.length === 0) return;
    const inherit = redis.multi();
    for (const area of areas) inherit.zadd(keys.byScope(area), score, event.eventId);
    await inherit.exec();
  }

  /**
   * The stored events, in the order given; one that is missing, does not parse as a stored audit event or is not
   * the event its key names is reported as unreadable (with its chain position when known), not thrown.
   */
  async function load(
    entries: readonly { id: string; time: number }[],
  ): Promise<{ id: string; time: number; event: StoredAuditEvent | undefined }[]> {
    if (entries.length === 0) return [];
    const raw = await redis.mget(...entries.map((entry) => keys.event(entry.id)));
    return entries.map((entry, i) => ({ ...entry, event: readStored(raw[i] ?? null, entry.id) }));
  }

  /** Chain positions of the first unreadable events (as many as a page reports); the rest are only counted. */
  async function locate(unreadable: readonly { id: string; time: number }[]): Promise<UnreadableAuditEvent[]> {
    const listed = unreadable.slice(0, AUDIT_INTEGRITY_LIMITS.positions);
    const found = listed.length === 0 ? [] : await redis.hmget(keys.positions, ...listed.map((entry) => entry.id));
    return unreadable.map((entry, i) => ({ time: entry.time, eventId: entry.id, ...positionOf(found[i] ?? null) }));
  }

  /**
   * Events matching every given filter and the scope, oldest first. Uses the most selective index (a scoped
   * search with no filter uses the scope's own index), checks the scope by index membership, filters by the rest.
   * Unreadable events met on the way are reported beside the page, never thrown.
   */
  async function search(query: AuditQuery): Promise<AuditSearchResult> {
    const scopeKey = query.scope.kind === 'hub' ? undefined : keys.byScope(query.scope.organisation);
    const index =
      query.receiptId !== undefined
        ? keys.byReceipt(query.receiptId)
        : query.nhsNumber !== undefined
          ? keys.byNhsNumber(query.nhsNumber)
          : query.recipient !== undefined
            ? keys.byRecipient(query.recipient)
            : (scopeKey ?? keys.byTime);
    const checkScope = scopeKey !== undefined && index !== scopeKey;
    // A cursor continues from its event, but never before `from` (a cursor reused with a later `from`).
    const from = query.from?.getTime();
    const min =
      query.after === undefined
        ? (from ?? '-inf')
        : from === undefined
          ? query.after.time
          : Math.max(from, query.after.time);
    const max = query.to?.getTime() ?? '+inf';
    const events: StoredAuditEvent[] = [];
    const unreadable: { id: string; time: number }[] = [];
    // Events stored while the scan runs can land before `offset` (same or earlier time), shifting already-read ids
    // into the next batch; `seen` keeps each event once. Nothing is ever removed from an index, so nothing is skipped.
    const seen = new Set<string>();
    let offset = 0;
    const batch = Math.max(query.limit * 2, 50);
    // Scan the chosen index in time order until the page is full; bounded by the index's own size.
    scan: for (;;) {
      const flat = await redis.zrangebyscore(index, min, max, 'WITHSCORES', 'LIMIT', offset, batch);
      if (flat.length === 0) break;
      offset += flat.length / 2;
      let entries: { id: string; time: number }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = flat[i] ?? '';
        const time = Number(flat[i + 1]);
        if (seen.has(id)) continue;
        seen.add(id);
        // The index score is the event's time, so the cursor applies before reading (and to unreadable events).
        if (query.after !== undefined && time === query.after.time && id <= query.after.eventId) continue;
        entries.push({ id, time });
      }
      if (checkScope && entries.length > 0) {
        const inScope = await redis.zmscore(scopeKey, ...entries.map((entry) => entry.id));
        entries = entries.filter((_, i) => inScope[i] !== null);
      }
      for (const { id, time, event } of await load(entries)) {
        if (event === undefined) {
          unreadable.push({ id, time });
          continue;
        }
        if (query.receiptId !== undefined && event.receiptId !== query.receiptId) continue;
        if (query.nhsNumber !== undefined && event.nhsNumber !== query.nhsNumber) continue;
        if (query.recipient !== undefined && event.recipient !== query.recipient) continue;
        events.push(event);
        if (events.length === query.limit) break scan;
      }
    }
    return { events, unreadable: await locate(unreadable) };
  }

  /**
   * Recomputes a partition's chain from its stored events; answers the first broken position, if any. The length
   * and head are read together (MULTI), so events appended while it runs are left for the next verification
   * instead of looking like a broken head. Events are read in batches of CHAIN_BATCH.
   */
  async function verifyChain(
    partition: number,
  ): Promise<{ ok: true; length: number } | { ok: false; brokenAt: number }> {
    const snapshot = await redis.multi().llen(keys.link(partition)).get(keys.head(partition)).exec();
    const length = Number(snapshot?.[0]?.[1] ?? 0);
    const head = (snapshot?.[1]?.[1] as string | null | undefined) ?? GENESIS;
    let previous = GENESIS;
    for (let start = 0; start < length; start += CHAIN_BATCH) {
      const ids = await redis.lrange(keys.link(partition), start, Math.min(start + CHAIN_BATCH, length) - 1);
      const raw = ids.length === 0 ? [] : await redis.mget(...ids.map(keys.event));
      for (const [offset, value] of raw.entries()) {
        const position = start + offset;
        const stored = value === null ? undefined : parseStored(value);
        if (stored === undefined) return { ok: false, brokenAt: position };
        const { chain, ...event } = stored;
        const expected = chainHash(previous, event);
        if (chain.hash !== expected || chain.position !== position) return { ok: false, brokenAt: position };
        previous = expected;
      }
      if (ids.length < Math.min(CHAIN_BATCH, length - start)) return { ok: false, brokenAt: start + ids.length };
    }
    return head === previous ? { ok: true, length } : { ok: false, brokenAt: length };
  }

  return { append, search, verifyChain };
}

export type AuditStore = ReturnType<typeof createAuditStore>;
